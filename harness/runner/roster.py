"""Which users a job holds (queued, in flight or awaiting write-back) and when each was last enriched.

It is what keeps a user from being called twice at once, and from being called again for a trigger older than
its last enrichment (a backfill page read before the user's answer landed).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

COMPLETED_KEPT = 2_000_000  # enrichment times remembered (oldest forgotten first): ~200 MB at most


class Roster:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: set[str] = set()
        self._completed: OrderedDict[str, float] = OrderedDict()

    def claim(self, user: str, event_ts: float) -> bool:
        """Hold `user` for a trigger at `event_ts`; False if already held or enriched at or after it."""
        with self._lock:
            if user in self._active:
                return False
            done = self._completed.get(user)
            if done is not None and done >= event_ts:
                return False
            self._active.add(user)
            return True

    def release(self, users: Iterable[str]) -> None:
        """The users are settled without an enrichment (omitted, pending, lost): a later trigger may claim them."""
        with self._lock:
            self._active.difference_update(users)

    def landed(self, users: Iterable[str], at: float) -> None:
        with self._lock:
            for user in users:
                self._active.discard(user)
                self._completed[user] = at
                self._completed.move_to_end(user)
            while len(self._completed) > COMPLETED_KEPT:
                self._completed.popitem(last=False)

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._active)
