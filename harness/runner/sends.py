"""A job's outbound calls in flight, and the pause that waits for them: what makes `paused` mean no call can start.

Every outbound call of a job (token fetch + webhook call) sits between `begin` and `end`; `pause` stops new ones
from beginning and `quiesce` waits for those in flight, so the acknowledgement Lytics shows (`paused`) means no
further call of this job can happen until `resume` (docs/fidelity.md J11).
"""

from __future__ import annotations

import threading


class SendSlots:
    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._cond = threading.Condition()
        self._paused = False
        self._sending = 0

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def quiesce(self, timeout: float) -> bool:
        """True once no call is in flight; False if one still is after `timeout` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: self._sending == 0, timeout=timeout)

    def begin(self) -> bool:
        """Block while paused; False once the job stopped (nothing may start), else a call is in flight."""
        with self._cond:
            while self._paused and not self._stop.is_set():
                self._cond.wait(0.25)
            if self._stop.is_set():
                return False
            self._sending += 1
            return True

    def end(self) -> None:
        with self._cond:
            self._sending -= 1
            self._cond.notify_all()

    def wake(self) -> None:
        """Let callers blocked in `begin` see that the job stopped."""
        with self._cond:
            self._cond.notify_all()
