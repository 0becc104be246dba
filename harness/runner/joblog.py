"""A job's log as Lytics shows it (`GET /v2/job/{id}/logs`), and what this process logs of it.

Two levels per entry: what the job's Lytics log records (a job error is an `error` there, docs/fidelity.md J18)
and what the console gets, which is lower for what a scenario injects on purpose (quiet when green).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from harness.redact import REDACTOR
from harness.timefmt import rfc3339

log = logging.getLogger("harness.runner.job")
KEPT = 500  # newest entries a report carries


class JobLog:
    def __init__(self, job_id: str, clock: Callable[[], float]) -> None:
        self._tag = job_id[:8]
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def add(self, level: str, message: str, code: str, context: dict[str, Any] | None = None, *,
            quiet: bool = False, console: str | None = None) -> None:
        """`level` is what the job's Lytics log shows; `console` (default: the same) what this process logs,
        nothing when `quiet`. The message is redacted before it goes anywhere."""
        msg = REDACTOR(message)
        if not quiet:
            getattr(log, console or level)("[job %s] %s", self._tag, msg)
        with self._lock:
            self._entries.append({"level": level, "message": msg, "code": code, "context": context or {},
                                  "timestamp": rfc3339(self._clock())})

    def take(self) -> list[dict[str, Any]]:
        """The entries since the last take (the newest KEPT of them): each goes to Lytics once."""
        with self._lock:
            entries, self._entries = self._entries, []
        return entries[-KEPT:]
