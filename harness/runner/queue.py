"""Two-lane work queue: real-time audience entries go ahead of backfill, and backfill is bounded."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.runner.wire import FeedEvent
from harness.timefmt import rfc3339


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
    # rendered ahead by another worker's batch: (the template's value,); claimed while that batch runs
    ahead: tuple[Any] | None = None
    ahead_claimed: bool = False


def identity_of(profile: Mapping[str, Any], identifier_fields: Iterable[str],
                announced: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A user's identity (the write-back's `origin`), the one rule for feed and backfill alike: what Lytics
    announced with the event when it did (it knows each identifier's history), else each identifier field's
    newest value in the profile (a list's last, which is its newest: mock Lytics orders them by time)."""
    if announced is not None:
        return dict(announced)
    ident: dict[str, Any] = {}
    for f in identifier_fields:
        v = profile.get(f)
        if isinstance(v, list):
            v = v[-1] if v else None
        if v not in (None, ""):
            ident[f] = v
    return ident


def feed_item(ev: FeedEvent, identifier_fields: Iterable[str], now: float) -> WorkItem:
    """A user from an audience enter/exit event on mock Lytics' feed."""
    ts = float(ev.get("ts") or now)
    seg_ev = {"id": ev.get("segment_id"), "slug": ev.get("slug"), "event": ev.get("event"),
              ev.get("event", "enter"): rfc3339(ts)}
    profile = dict(ev.get("profile") or {})
    return WorkItem(
        profile_id=str(ev.get("profile_id")), identity=identity_of(profile, identifier_fields, ev.get("identity")),
        profile=profile, segment_events=[seg_ev], trigger=str(ev.get("event")),
        trigger_ts=float(ev.get("cause_ts") or ev.get("ts") or now), event_ts=ts)


def scan_item(profile: dict[str, Any], segment_id: str, read_at: float, identifier_fields: Iterable[str]) -> WorkItem:
    """A user read from an audience scan (backfill or resync): it counts as entering when the page was read."""
    ev = {"id": segment_id, "event": "enter", "enter": rfc3339(read_at)}
    return WorkItem(profile_id=str(profile.get("_id")), identity=identity_of(profile, identifier_fields),
                    profile=profile, segment_events=[ev], trigger="backfill", trigger_ts=read_at, event_ts=read_at)


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

    def claim_ahead(self, n: int) -> list[WorkItem]:
        """Up to `n` queued users from the front (the next to be taken) that nobody renders yet, now claimed
        for rendering by the caller; it sets their `ahead` or, when its batch fails, gives the claim back."""
        out: list[WorkItem] = []
        with self._cond:
            for lane in (self._realtime, self._backfill):
                for item in itertools.islice(lane, 4 * n):  # the claimed ones sit at the front: a bounded look
                    if len(out) >= n:
                        return out
                    if not item.ahead_claimed:
                        item.ahead_claimed = True
                        out.append(item)
        return out

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
