"""Run go-jsonnet calls on worker threads so a caller can stop waiting after a deadline.

go-jsonnet releases the GIL while it evaluates (measured: a Python thread keeps running alongside), but a
Go evaluation cannot be interrupted. So a timed-out call is abandoned, not stopped: its worker keeps
computing (and allocating) until the evaluation ends by itself. To bound the damage, at most
`max_runaway` abandoned evaluations may be running at once; past that, new calls fail fast with
TemplateTimeout instead of stacking up more CPU burners. Untrusted templates belong in the subprocess
engine (enrich_templates.isolate), which kills the process instead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from enrich_templates.errors import TemplateTimeout


class _Task:
    __slots__ = ("abandoned", "done", "error", "fn", "result")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None
        self.abandoned = False
        self.done = threading.Lock()
        self.done.acquire()  # released by the worker when the call returns: a cheap one-shot signal


class EvalPool:
    """Worker threads that outlive timed-out calls; grows to the peak number of concurrent callers."""

    def __init__(self, *, max_runaway: int = 2, name: str = "jsonnet-eval") -> None:
        self._tasks: queue.SimpleQueue[_Task] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._runaway = 0
        self._workers = 0
        self._max_runaway = max_runaway
        self._name = name
        self._runaway_done = threading.Condition(self._lock)

    @property
    def runaway(self) -> int:
        """How many abandoned (timed-out) evaluations are still running."""
        with self._lock:
            return self._runaway

    def wait_runaway(self, timeout: float) -> bool:
        """Block until no abandoned evaluation is running, or `timeout` passes; True if none is left."""
        with self._runaway_done:
            return self._runaway_done.wait_for(lambda: self._runaway == 0, timeout)

    def call(self, fn: Callable[[], Any], timeout: float) -> Any:
        task = _Task(fn)
        with self._lock:
            if self._runaway >= self._max_runaway:
                raise TemplateTimeout(
                    f"{self._runaway} earlier template evaluations are still running past their time limit; "
                    "refusing to start another until they finish"
                )
            if self._idle:
                self._idle -= 1
            else:
                self._workers += 1
                threading.Thread(target=self._work, name=f"{self._name}-{self._workers}", daemon=True).start()
        self._tasks.put(task)
        if task.done.acquire(timeout=timeout):
            if task.error is not None:
                raise task.error
            return task.result
        with self._lock:
            if task.done.acquire(blocking=False):  # finished while we were giving up
                if task.error is not None:
                    raise task.error
                return task.result
            task.abandoned = True
            self._runaway += 1
        raise TemplateTimeout(f"template evaluation did not finish within {timeout:g}s")

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            try:
                task.result = task.fn()
            except BaseException as exc:  # handed to the caller, which re-raises it
                task.error = exc
            with self._lock:
                task.done.release()
                if task.abandoned:
                    self._runaway -= 1
                    task.result = task.error = None
                    self._runaway_done.notify_all()
                self._idle += 1
