"""A job's status, message and failure streak: one lock, changed only through these methods.

Statuses (docs/fidelity.md J13-J16): `running`; `sleeping` while a Retry-After holds the job; `fault-N` in job error
backoff; `failed` after repeated job errors; `paused` by the user; `deleted`/`killed`/`dropped` once stopped.
Workers report answers (`success`, `failure`, `sleeping`); the supervisor and the user's actions do the rest.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

RUNNING, SLEEPING, PAUSED, FAILED, DROPPED = "running", "sleeping", "paused", "failed", "dropped"
ENDED_BY_USER = frozenset({"deleted", "killed"})
USER_STATES = frozenset({PAUSED, *ENDED_BY_USER})  # Lytics shows these; the runner does not report them
_ENDED = frozenset({DROPPED, *ENDED_BY_USER})
_FINAL = frozenset({FAILED, *_ENDED})


@dataclass(frozen=True)
class Escalation:
    """What a failed request did to the job: a job error (`fault-N`, hold for `backoff_s`) or failed it."""

    job_errors: int
    failed: bool
    backoff_s: float
    message: str


class JobState:
    def __init__(self, *, failures_before_job_error: int, job_errors_before_failed: int,
                 job_backoff_s: float) -> None:
        self._lock = threading.Lock()
        self._status = RUNNING
        self._message: str | None = None
        self._consecutive_failures = 0
        self._job_errors = 0
        self._per_error = failures_before_job_error
        self._errors_to_fail = job_errors_before_failed
        self._backoff = job_backoff_s

    @property
    def status(self) -> str:
        return self._status

    @property
    def message(self) -> str | None:
        return self._message

    @property
    def failed(self) -> bool:
        return self._status == FAILED

    def snapshot(self) -> tuple[str, str | None]:
        with self._lock:
            return self._status, self._message

    # -- answers (workers) ------------------------------------------------------------------------------------
    def success(self) -> None:
        """A 2xx ends the streak of failed requests and of job errors ("if the error persists")."""
        with self._lock:
            self._consecutive_failures = 0
            self._job_errors = 0
            if self._status == SLEEPING or self._status.startswith("fault-"):
                self._status = RUNNING

    def sleeping(self) -> None:
        """A Retry-After is being honoured (J15): no error; a user's or a final status is kept."""
        with self._lock:
            if self._status == RUNNING or self._status.startswith("fault-"):
                self._status = SLEEPING

    def failure(self, why: str) -> Escalation | None:
        """One failed request; an Escalation when it completes a streak (§2.5: 10 failed requests)."""
        with self._lock:
            self._consecutive_failures += 1
            if self._consecutive_failures < self._per_error:
                return None
            self._consecutive_failures = 0
            self._job_errors += 1
            errors = self._job_errors
            if errors >= self._errors_to_fail:
                if self._status not in _ENDED:
                    self._status = FAILED
                self._message = f"{self._per_error} consecutive failed requests, {errors} times: {why}"
                return Escalation(errors, True, 0.0, self._message)
            delay = self._backoff * (2 ** (errors - 1))
            if self._status not in _FINAL and self._status != PAUSED:
                self._status = f"fault-{errors}"  # Lytics' status for a job in error backoff (N = the error count)
            self._message = f"job error ({why}); backing off {delay:.1f}s"
            return Escalation(errors, False, delay, self._message)

    # -- the user and the supervisor ----------------------------------------------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._status = PAUSED

    def resume(self) -> None:
        with self._lock:
            if self._status == PAUSED:
                self._status = RUNNING

    def end(self, status: str, message: str | None = None) -> None:
        """Stopped for good: `deleted`/`killed` by the user, or `dropped` by the runner (with why)."""
        if status not in ENDED_BY_USER and status != DROPPED:
            raise ValueError(f"job end status: expected one of deleted, killed, dropped; got {status!r}")
        with self._lock:
            self._status = status
            if message is not None:
                self._message = message
