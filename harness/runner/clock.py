"""The runner's sense of time, injectable: the real clocks by default, a fake one in unit tests of the rules."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Epoch seconds (outcome and log timestamps, backfill read times, HTTP-date Retry-After)."""
        ...

    def monotonic(self) -> float:
        """Seconds that never go back (the job gate and token expiry)."""
        ...

    def sleep(self, stop: threading.Event, seconds: float) -> bool:
        """Wait `seconds` unless `stop` is set first; True when it was set (a worker's backoff)."""
        ...

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        """Wait on `cond` (held by the caller) for at most `seconds` (the gate while it is held)."""
        ...


class SystemClock:
    """Wall clock, monotonic clock and real waits."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(seconds)

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        cond.wait(seconds)


SYSTEM_CLOCK = SystemClock()
