"""What an EnrichmentJob can be given instead of building it: session, clock, token source (fakes in unit tests).

The defaults are the real thing: harness.connpool.PoolSession, SystemClock, harness.runner.oauth.TokenManager.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from harness.connpool import Reply


class WebhookSession(Protocol):
    """How the job sends (PoolSession's call shape); `before_send` False means not sent (SendCancelled)."""

    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, data: bytes | str | Mapping[str, Any] | None = None,
                before_send: Callable[[], bool] | None = None) -> Reply: ...

    def close(self) -> None: ...


class TokenSource(Protocol):
    """Where the job's OAuth tokens come from: one cached token, forgotten when the API refuses it."""

    fetches: int

    def get(self) -> str: ...

    def invalidate(self, value: str) -> None: ...


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
