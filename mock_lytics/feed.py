"""The internal event feed: a bounded ring of audience and job events with long-poll reads.

The runner (a separate process) follows it with `GET /__admin/feed?after=<seq>&wait=<s>`. Sequence numbers are
strictly increasing for the life of the app and are NOT restarted by reset(), so a runner's cursor stays valid
across a reset. A cursor is stale (410) only when events after it were evicted because the ring overflowed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from mock_lytics.wire import FeedEvent

DEFAULT_CAPACITY = 200_000
MAX_WAIT_S = 30.0


class StaleCursor(Exception):
    """The caller asked for events that were evicted; carries the ring bounds for the 410 body."""

    def __init__(self, oldest_seq: int, last_seq: int) -> None:
        super().__init__(f"cursor is older than the oldest retained event {oldest_seq}")
        self.oldest_seq = oldest_seq
        self.last_seq = last_seq


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    last_seq: int
    oldest_seq: int


class Feed:
    """A ring with O(1) indexing by seq; one Condition wakes every long-poller on append."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, clock: Callable[[], float] = time.time) -> None:
        if capacity < 1:
            raise ValueError(f"FEED_CAPACITY must be >= 1, got {capacity}")
        self.capacity = capacity
        self._clock = clock
        self._cond = threading.Condition()
        self._ring: list[FeedEvent | None] = [None] * capacity
        self._last_seq = 0
        self._first_retained = 1  # seq of the oldest retained event (== last_seq + 1 when empty)
        self._evicted_through = 0  # newest seq lost to overflow (not to reset)
        self._waiting = 0  # long-pollers currently blocked (observable for tests and /__admin/state)

    def append(self, kind: str, **payload: Any) -> FeedEvent:
        """Record one event; the seq is assigned here, so append order is commit order."""
        with self._cond:
            self._last_seq += 1
            event = cast(FeedEvent, {"seq": self._last_seq, "kind": kind, **payload})
            event.setdefault("ts", self._clock())
            self._ring[self._last_seq % self.capacity] = event
            if self._last_seq - self._first_retained >= self.capacity:
                self._evicted_through = self._first_retained
                self._first_retained += 1
            self._cond.notify_all()
            return event

    def read(self, after: int = 0, *, wait: float = 0.0, limit: int = 1000) -> FeedPage:
        """Events with seq > after, oldest first, at most `limit`; block up to `wait` s if there are none."""
        wait = max(0.0, min(float(wait), MAX_WAIT_S))
        with self._cond:
            if after < self._evicted_through:
                raise StaleCursor(self._oldest(), self._last_seq)
            if wait > 0 and self._last_seq <= after:
                self._waiting += 1
                self._cond.notify_all()
                try:
                    self._cond.wait_for(lambda: self._last_seq > after, timeout=wait)
                finally:
                    self._waiting -= 1
                if after < self._evicted_through:
                    raise StaleCursor(self._oldest(), self._last_seq)
            start = max(after + 1, self._first_retained)
            stop = min(self._last_seq, start + max(limit, 0) - 1)
            events = [self._ring[seq % self.capacity] for seq in range(start, stop + 1)]
            return FeedPage([e for e in events if e is not None], self._last_seq, self._oldest())

    def filter(self, predicate: Callable[[FeedEvent], bool], after: int = 0, limit: int = 10_000) -> list[FeedEvent]:
        """Retained events with seq > after that satisfy `predicate` (no waiting; for admin checks)."""
        with self._cond:
            out: list[FeedEvent] = []
            for seq in range(max(after + 1, self._first_retained), self._last_seq + 1):
                event = self._ring[seq % self.capacity]
                if event is not None and predicate(event):
                    out.append(event)
                    if len(out) >= limit:
                        break
            return out

    def wait_for_waiters(self, count: int, timeout: float) -> bool:
        """Block until at least `count` readers are long-polling (lets a test post only once they wait)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting >= count, timeout=timeout)

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._waiting

    def bounds(self) -> tuple[int, int]:
        with self._cond:
            return self._oldest(), self._last_seq

    def reset(self) -> None:
        """Drop every retained event but keep counting seqs (see module docstring)."""
        with self._cond:
            self._ring = [None] * self.capacity
            self._first_retained = self._last_seq + 1
            self._evicted_through = 0
            self._cond.notify_all()

    def _oldest(self) -> int:
        return self._first_retained if self._first_retained <= self._last_seq else 0
