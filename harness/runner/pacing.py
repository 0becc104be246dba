"""Pacing shared by all workers of a job: Retry-After sleeps, job-level backoff and a client-side rate limit."""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, *, base: float = 0.05, cap: float = 5.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter (AWS architecture blog): uniform(0, min(cap, base * 2**attempt))."""
    r = rng or random
    return r.uniform(0, min(cap, base * (2 ** max(0, attempt - 1))))


class Gate:
    """Holds every worker until `not_before` (Retry-After or job backoff) and meters a token bucket.

    One gate per job (per webhook host): a Retry-After from Ansira stops all of the job's requests, not just the
    worker that saw it. `wait` is where a worker sleeps; `admit` is the last word, under the same lock as
    `hold_for`, immediately before the request's bytes go out: a worker that passed `wait` before another
    worker's 429 was processed must not send after it (docs/reliability.md, "Retry-After"). Both stamp the moment
    on one clock (`stamp`: epoch seconds that advance with the monotonic clock), so "sent after the runner
    received the 429" is an exact comparison, not a guess across two clocks.
    """

    def __init__(self, *, rate: float | None = None, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 waiter: Callable[[threading.Condition, float], object] | None = None) -> None:
        self._clock = clock
        self._idle = waiter or threading.Condition.wait  # how a held worker waits (a fake clock advances instead)
        self._mono0 = clock()
        self._wall0 = wall()
        self._cond = threading.Condition()
        self._not_before = 0.0
        self._rate = rate if rate and rate > 0 else None
        self._burst = float(burst or (max(1, int(rate)) if rate else 1))
        self._tokens = self._burst
        self._last = clock()
        self._closed = False

    def hold_until(self, not_before: float) -> None:
        """Push the gate's opening time forward (never backward)."""
        with self._cond:
            if not_before > self._not_before:
                self._not_before = not_before

    def hold_for(self, seconds: float) -> float:
        """Hold every worker for `seconds` from now; returns now as a `stamp` (taken under the gate's lock)."""
        with self._cond:
            now = self._clock()
            if now + seconds > self._not_before:
                self._not_before = now + seconds
            return self._stamp(now)

    def stamp(self) -> float:
        """Now, in epoch seconds on the gate's clock (what the runner logs as send and receive times)."""
        return self._stamp(self._clock())

    def _stamp(self, mono: float) -> float:
        return self._wall0 + (mono - self._mono0)

    def admit(self) -> float | None:
        """The send time if a request may go out right now; None while held (or closed): wait again."""
        with self._cond:
            now = self._clock()
            if self._closed or now < self._not_before:
                return None
            return self._stamp(now)

    @property
    def not_before(self) -> float:
        return self._not_before

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Block until a request may go out; False when the gate was closed or `stop` set meanwhile."""
        with self._cond:
            while True:
                if self._closed or (stop is not None and stop.is_set()):
                    return False
                now = self._clock()
                if now < self._not_before:
                    self._idle(self._cond, min(self._not_before - now, 0.25))
                    continue
                if self._rate is None:
                    return True
                self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
                self._last = now
                if self._tokens >= 1.0 - 1e-9:  # float dust must not cost a whole refill period
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return True
                self._idle(self._cond, min((1.0 - self._tokens) / self._rate, 0.25))
