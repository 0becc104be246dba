"""A bounded request journal plus running totals that survive eviction.

The summary counts every request since the last reset, so exact-count checks hold even after the deque
has dropped old entries; `dropped` says how many were evicted.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any, TypedDict


class JournalEntry(TypedDict):
    seq: int
    ts: float
    duration_ms: float
    method: str
    path: str
    operation: str | None
    status: int
    client_id: str | None
    email: str | None
    fault: str | None
    retry_after: float | None
    request_id: str | None  # the client's X-Enrichsim-Request-Id, if it sent one (joins the runner's request log)


class JournalEntryWithBodies(JournalEntry, total=False):
    """An entry as `GET /__admin/journal?bodies=true` answers it."""

    request_body: str | None
    response_body: str | None


class Journal:
    """Not locked itself: the backend appends and reads under its lock."""

    def __init__(self, capacity: int, body_entries: int = 1000) -> None:
        if capacity < 1:
            raise ValueError(f"journal capacity must be >= 1, got {capacity}")
        if body_entries < 0:
            raise ValueError(f"journal body entries must be >= 0, got {body_entries}")
        self.capacity = capacity
        self.body_entries = body_entries  # the newest N entries keep their bodies; 0 keeps none
        self.reset()

    def reset(self) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=self.capacity)
        self._seq = 0
        self.dropped = 0
        self.tokens_issued = 0
        self._by_operation: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._by_client: Counter[str] = Counter()
        self._per_email: Counter[str] = Counter()
        self._bodies: dict[int, tuple[str | None, str | None]] = {}
        self._body_order: deque[int] = deque()

    def __len__(self) -> int:
        return len(self._entries)

    def append(self, entry: dict[str, Any]) -> JournalEntry:
        self._seq += 1
        record = JournalEntry(
            seq=self._seq,
            ts=float(entry["ts"]),
            duration_ms=round(float(entry["duration_ms"]), 3),
            method=str(entry["method"]),
            path=str(entry["path"]),
            operation=entry.get("operation"),
            status=int(entry["status"]),
            client_id=entry.get("client_id"),
            email=entry.get("email"),
            fault=entry.get("fault"),
            retry_after=entry.get("retry_after"),
            request_id=entry.get("request_id"),
        )
        if len(self._entries) == self.capacity:
            self.dropped += 1
        self._entries.append(record)
        self._by_operation[record["operation"] or "unknown"] += 1
        self._by_status[str(record["status"])] += 1
        if record["client_id"] is not None:
            self._by_client[record["client_id"]] += 1
        if record["operation"] == "create_user" and record["email"] is not None:
            self._per_email[record["email"]] += 1
        if self.body_entries and ("request_body" in entry or "response_body" in entry):
            self._bodies[record["seq"]] = (entry.get("request_body"), entry.get("response_body"))
            self._body_order.append(record["seq"])
            while len(self._body_order) > self.body_entries:
                self._bodies.pop(self._body_order.popleft(), None)
        return record

    def entries(self, after: int = 0, limit: int | None = None, *, bodies: bool = False
                ) -> list[JournalEntryWithBodies]:
        """Entries with seq > `after`, oldest first, at most `limit` of them.

        `bodies` adds `request_body` and `response_body` (null once an entry is older than the newest
        `body_entries`, or when bodies are off).
        """
        out: list[JournalEntryWithBodies] = []
        for entry in self._entries:
            if entry["seq"] > after:
                copy = JournalEntryWithBodies(**entry)
                if bodies:
                    copy["request_body"], copy["response_body"] = self._bodies.get(entry["seq"], (None, None))
                out.append(copy)
                if limit is not None and len(out) >= limit:
                    break
        return out

    @property
    def last_seq(self) -> int:
        return self._seq

    def summary(self) -> dict[str, Any]:
        return {
            "total": self._seq,
            "by_operation": dict(self._by_operation),
            "by_status": dict(self._by_status),
            "by_client": dict(self._by_client),
            "per_email": dict(self._per_email),
            "tokens_issued": self.tokens_issued,
            "dropped": self.dropped,
        }
