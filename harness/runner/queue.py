"""Two-lane work queue: real-time audience entries go ahead of backfill, and backfill is bounded."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WorkItem:
    profile_id: str
    identity: dict[str, Any]
    profile: dict[str, Any]
    segment_events: list[dict[str, Any]]
    trigger: str  # "enter" | "exit" | "backfill"
    trigger_ts: float  # epoch: when the cause happened (collect received / backfill picked up)
    event_ts: float  # epoch: when membership changed, or when the scan page was read
    extra: dict[str, Any] = field(default_factory=dict)


class WorkQueue:
    def __init__(self, backfill_capacity: int = 2000) -> None:
        self._cond = threading.Condition()
        self._realtime: deque[WorkItem] = deque()
        self._backfill: deque[WorkItem] = deque()
        self._capacity = backfill_capacity
        self._closed = False

    def __len__(self) -> int:
        with self._cond:
            return len(self._realtime) + len(self._backfill)

    def put(self, item: WorkItem, *, backfill: bool = False, stop: threading.Event | None = None) -> bool:
        """Enqueue; a backfill put blocks while the backfill lane is full. False if closed/stopped first."""
        with self._cond:
            if backfill:
                while len(self._backfill) >= self._capacity and not self._closed:
                    if stop is not None and stop.is_set():
                        return False
                    self._cond.wait(0.25)
            if self._closed:
                return False
            (self._backfill if backfill else self._realtime).append(item)
            self._cond.notify_all()
            return True

    def get(self, timeout: float) -> WorkItem | None:
        with self._cond:
            if not self._realtime and not self._backfill and not self._closed:
                self._cond.wait(timeout)
            if self._realtime:
                item = self._realtime.popleft()
            elif self._backfill:
                item = self._backfill.popleft()
            else:
                return None
            self._cond.notify_all()
            return item

    def drain(self) -> list[WorkItem]:
        with self._cond:
            items = list(self._realtime) + list(self._backfill)
            self._realtime.clear()
            self._backfill.clear()
            self._cond.notify_all()
            return items

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
