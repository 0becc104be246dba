"""Per-client rate limiters (token bucket, fixed window) driven by an explicit `now`.

Limiters take the time as an argument instead of reading a clock, so tests advance a fake clock and
never sleep. They are not locked: the backend calls them under its own lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mock_ansira.behaviour import FixedWindowLimit, RateLimit, TokenBucketLimit


@dataclass(frozen=True)
class Decision:
    """The outcome of one request against a limiter, with what the headers should say."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: float
    retry_after_s: float | None
    headers_enabled: bool

    def headers(self) -> dict[str, str]:
        """`X-RateLimit-*` (Reset in seconds from now) plus `Retry-After` when denied; none if disabled."""
        if not self.headers_enabled:
            return {}
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_s)),
        }
        if self.retry_after is not None:
            out["Retry-After"] = str(self.retry_after)
        return out

    @property
    def retry_after(self) -> int | None:
        """Whole seconds, rounded up (never 0 when denied), as sent in `Retry-After`."""
        if self.retry_after_s is None or not self.headers_enabled:
            return None
        return max(1, math.ceil(self.retry_after_s - 1e-9))


class TokenBucket:
    """`rate` tokens/s refill up to `burst`; a request needs one whole token."""

    def __init__(self, spec: TokenBucketLimit, now: float) -> None:
        self.spec = spec
        self.tokens = float(spec.burst)
        self.updated = now

    def acquire(self, now: float) -> Decision:
        spec = self.spec
        self.tokens = min(spec.burst, self.tokens + max(0.0, now - self.updated) * spec.rate)
        self.updated = max(self.updated, now)
        allowed = self.tokens >= 1.0
        retry_after = None
        if allowed:
            self.tokens -= 1.0
        else:
            retry_after = (1.0 - self.tokens) / spec.rate
        return Decision(
            allowed=allowed,
            limit=spec.burst,
            remaining=math.floor(self.tokens),
            reset_s=(spec.burst - self.tokens) / spec.rate,
            retry_after_s=retry_after,
            headers_enabled=spec.headers,
        )


class FixedWindow:
    """At most `limit` requests in each `window_s` window counted from `origin`."""

    def __init__(self, spec: FixedWindowLimit, now: float) -> None:
        self.spec = spec
        self.origin = now
        self.window = 0
        self.count = 0

    def acquire(self, now: float) -> Decision:
        spec = self.spec
        window = max(0, math.floor((now - self.origin) / spec.window_s))
        if window != self.window:
            self.window, self.count = window, 0
        reset_s = self.origin + (window + 1) * spec.window_s - now
        allowed = self.count < spec.limit
        if allowed:
            self.count += 1
        return Decision(
            allowed=allowed,
            limit=spec.limit,
            remaining=spec.limit - self.count,
            reset_s=reset_s,
            retry_after_s=None if allowed else reset_s,
            headers_enabled=spec.headers,
        )


Limiter = TokenBucket | FixedWindow


def make_limiter(spec: RateLimit, now: float) -> Limiter:
    if isinstance(spec, TokenBucketLimit):
        return TokenBucket(spec, now)
    return FixedWindow(spec, now)
