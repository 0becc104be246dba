"""Per-user outcomes and job counters: the runner's account of every user it was asked to enrich."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field, fields
from typing import Any

ENRICHED = "enriched"
OMITTED = "omitted"
PENDING = "pending"


@dataclass
class Outcome:
    user: str  # Lytics profile id
    identity: dict[str, Any]
    status: str = PENDING
    attempts: int = 0
    unanswered: int = 0  # attempts that got no HTTP answer (timeout, reset): Ansira may have acted on them anyway
    http_status: int | None = None
    reason: str | None = None
    latency_ms: float | None = None  # from trigger (audience enter / backfill pick-up) to write-back landed
    trigger: str = "enter"  # enter | exit | backfill
    trigger_ts: float = 0.0  # epoch seconds
    done_ts: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A flat copy (dataclasses.asdict deep-copies every value: a third of the time of writing 100,000
        outcomes at stop); identity is the only container and is never changed after the trigger."""
        d = {name: getattr(self, name) for name in _OUTCOME_FIELDS}
        d["identity"] = dict(self.identity)
        return d


_OUTCOME_FIELDS = tuple(f.name for f in fields(Outcome))


# The newest webhook requests a job keeps in its request log (~150 bytes each): a load run's worth and more;
# journal entries whose record was dropped fall back to the journal-only Retry-After rule.
REQUEST_LOG_SIZE = 500_000
REQUEST_FIELDS = ("request_id", "user", "sent_ts", "received_ts", "status", "retry_after")


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


@dataclass
class OutcomeLog:
    """Thread-safe outcome store; the latest outcome per user wins, earlier ones stay in `history`."""

    by_user: dict[str, Outcome] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    history_enriched: int = 0
    # one tuple per webhook request (REQUEST_FIELDS): when the runner sent it and when it had the answer, on the
    # job gate's clock; the Retry-After check joins it to Ansira's journal by request_id
    requests: deque[tuple[str, str, float, float | None, int | None, float | None]] = field(
        default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, outcome: Outcome) -> None:
        with self._lock:
            self.by_user[outcome.user] = outcome

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n

    def request(self, request_id: str, user: str, sent_ts: float, received_ts: float | None, status: int | None,
                retry_after: float | None) -> None:
        with self._lock:
            self.requests.append((request_id, user, sent_ts, received_ts, status, retry_after))

    def requests_snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = list(self.requests)
        return [dict(zip(REQUEST_FIELDS, r, strict=True)) for r in rows]

    def finish(self, outcome: Outcome, status: str, *, reason: str | None = None, done_ts: float) -> None:
        with self._lock:
            outcome.status = status
            outcome.reason = reason
            outcome.done_ts = done_ts
            outcome.latency_ms = round((done_ts - outcome.trigger_ts) * 1000.0, 3)
            self.counters[status] += 1
            if reason and status == OMITTED:
                self.counters[f"omitted:{reason.split(':')[0]}"] += 1

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [o.to_dict() for o in self.by_user.values()]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            statuses = Counter(o.status for o in self.by_user.values())
            lat = sorted(o.latency_ms for o in self.by_user.values()
                         if o.status == ENRICHED and o.latency_ms is not None)
            reasons = Counter(o.reason for o in self.by_user.values() if o.status == OMITTED)
            return {
                "users": len(self.by_user),
                "enriched": statuses.get(ENRICHED, 0),
                "omitted": statuses.get(OMITTED, 0),
                "pending": statuses.get(PENDING, 0),
                "omitted_reasons": dict(reasons),
                "counters": dict(self.counters),
                "latency_ms": {
                    "p50": percentile(lat, 50), "p95": percentile(lat, 95),
                    "p99": percentile(lat, 99), "max": lat[-1] if lat else None,
                },
            }
