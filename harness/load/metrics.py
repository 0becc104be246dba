"""Join what locust saw, what the mocks recorded and what the runner logged into one set of named metrics.

Pure functions over data already read back (harness.load.collect reads it), so every figure is testable
without processes. Latency is server-side: mock Lytics' receive time of the collect that made a user enter the
audience (`cause_ts` of the enter event), to mock Lytics' change time of the enrichment field on that profile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness import retry_after
from harness.runner.outcomes import percentile


@dataclass
class Raw:
    """Everything a load run read back before its processes stopped."""

    job_start_ts: float
    load_start_ts: float
    load_end_ts: float
    drained_ts: float | None
    backfill_users: int
    field_times: list[dict[str, Any]]  # mock Lytics /__admin/field-times rows
    enters: list[dict[str, Any]]  # enter events of the source audience after the job started
    members_at_end: list[str]  # profile ids still in the source audience
    journal: list[dict[str, Any]]  # mock Ansira journal entries
    journal_summary: dict[str, Any]
    outcomes: list[dict[str, Any]]  # runner outcome log (one row per user, latest outcome)
    runner_counters: dict[str, float]
    locust: dict[str, Any] | None  # locustfile summary; None when there was no client load
    enrichment_field: str = "ansira_uuid"
    ansira_limit: float | None = None
    max_workers: int = 5
    retry_after_grace_s: float = 0.25
    process_cpu_s: dict[str, float | None] = field(default_factory=dict)
    runner_peak_rss: int | None = None
    target_rate: float = 0.0
    runner_requests: list[dict[str, Any]] = field(default_factory=list)  # the runner's request log (send times)


def latencies_ms(raw: Raw) -> tuple[list[float], int]:
    """Enter (first after the job started) -> enrichment field change, per real-time user; and their count."""
    first_enter: dict[str, float] = {}
    for ev in raw.enters:
        if ev.get("event") == "enter":
            pid = str(ev.get("profile_id"))
            when = ev.get("cause_ts") or ev.get("ts")
            if when is None:  # an event without a time cannot start a latency
                continue
            if pid not in first_enter or float(when) < first_enter[pid]:
                first_enter[pid] = float(when)
    done = {r["_id"]: r["field_ts"].get(raw.enrichment_field) for r in raw.field_times}
    out = []
    for pid, entered in first_enter.items():
        landed = done.get(pid)
        if landed is not None and landed >= entered:
            out.append((landed - entered) * 1000.0)
    return sorted(out), len(first_enter)


def retry_after_violations(journal: Iterable[dict[str, Any]], *, allowance: int, grace_s: float,
                           requests: Mapping[str, Mapping[str, Any]] | None = None) -> int:
    """Requests the runner sent inside a Retry-After window: the `retry_after_respected` check's rule and count."""
    return retry_after.violations(journal, requests, allowance=allowance, grace_s=grace_s, show=0).violations


def compute(raw: Raw) -> dict[str, float | None]:
    m: dict[str, float | None] = {}
    _client(raw, m)
    lat, realtime = latencies_ms(raw)
    m["enrich_latency_p50_ms"] = _r(percentile(lat, 50))
    m["enrich_latency_p95_ms"] = _r(percentile(lat, 95))
    m["enrich_latency_p99_ms"] = _r(percentile(lat, 99))
    m["enrich_latency_max_ms"] = _r(lat[-1] if lat else None)
    m["realtime_users"] = realtime
    m["realtime_enriched"] = len(lat)
    _users(raw, m)
    _ansira(raw, m)
    m["duration_s"] = _r(raw.load_end_ts - raw.load_start_ts)
    m["drain_s"] = _r(raw.drained_ts - raw.load_end_ts) if raw.drained_ts is not None else None
    m["runner_peak_rss_mb"] = _r(raw.runner_peak_rss / 1e6) if raw.runner_peak_rss else None
    for name in ("runner", "ansira", "lytics", "locust"):
        cpu = raw.process_cpu_s.get(name)
        m[f"{name}_cpu_s"] = _r(cpu) if cpu is not None else None
    parts = [cpu for k in ("runner", "ansira", "lytics") if (cpu := raw.process_cpu_s.get(k)) is not None]
    done = m.get("users_enriched")
    m["cpu_ms_per_enrichment"] = _r(sum(parts) * 1000.0 / done) if done and len(parts) == 3 else None
    return m


def _client(raw: Raw, m: dict[str, float | None]) -> None:
    lo = raw.locust
    m["target_rate"] = raw.target_rate if lo else None
    if not lo:
        for k in ("achieved_arrival_rate", "events_sent", "new_users_sent", "updates_sent", "dropped_arrivals",
                  "collect_requests", "collect_failures", "collect_failure_ratio", "collect_p50_ms",
                  "collect_p95_ms", "collect_p99_ms"):
            m[k] = None
        return
    c, total = lo.get("counters") or {}, lo.get("total") or {}
    events = float(c.get("events_sent", 0))
    span = lo.get("plan_duration_s") or (raw.load_end_ts - raw.load_start_ts)
    m["events_sent"] = events
    m["new_users_sent"] = float(c.get("new_users_sent", 0))
    m["updates_sent"] = float(c.get("updates_sent", 0))
    m["dropped_arrivals"] = float(c.get("dropped_arrivals", 0))
    m["achieved_arrival_rate"] = _r(events / span) if span else None
    n = float(total.get("requests") or 0)
    m["collect_requests"] = n
    failures = float(total.get("failures") or 0)
    m["collect_failures"] = failures
    m["collect_failure_ratio"] = _r(failures / n, 6) if n else None
    for q in ("p50", "p95", "p99"):
        m[f"collect_{q}_ms"] = total.get(f"{q}_ms")


def _users(raw: Raw, m: dict[str, float | None]) -> None:
    fld = raw.enrichment_field
    has_field = {r["_id"] for r in raw.field_times if fld in r["field_ts"]}
    enriched = {r["_id"] for r in raw.field_times if r["field_ts"].get(fld, 0) >= raw.job_start_ts}
    by_user = {str(o["user"]): o for o in raw.outcomes}
    members = set(raw.members_at_end)
    omitted = {u for u in members if by_user.get(u, {}).get("status") == "omitted"}
    pending = {u for u in members if by_user.get(u, {}).get("status") == "pending"}
    known = {r["_id"] for r in raw.field_times}  # absorbed by a merge: gone, not lost
    # still in the audience though the runner neither omitted them nor holds them; or counted as enriched by
    # the runner while the profile lacks the field (a write-back that never landed)
    lost = (members - omitted - pending) | {u for u, o in by_user.items()
                                            if o.get("status") == "enriched" and u in known and u not in has_field}
    created_in_load = sum(1 for r in raw.field_times if r["first_seen_ts"] >= raw.load_start_ts)
    sent = m.get("new_users_sent")
    missing = max(0, int(sent) - created_in_load) if sent is not None else 0
    m["backfill_users"] = raw.backfill_users
    m["users_total"] = raw.backfill_users + int(m.get("realtime_users") or 0)
    m["users_enriched"] = len(enriched)
    m["users_omitted"] = len(omitted)
    m["users_pending"] = len(pending)
    m["missing_profiles"] = missing
    m["lost_users"] = len(lost) + missing
    last = max((r["field_ts"][fld] for r in raw.field_times if r["_id"] in enriched), default=None)
    span = (last - raw.job_start_ts) if last is not None else None
    m["enrich_span_s"] = _r(span)
    m["enrichments_per_s"] = _r(len(enriched) / span) if span else None


def _ansira(raw: Raw, m: dict[str, float | None]) -> None:
    calls = [e for e in raw.journal if e.get("operation") == "create_user"]
    status = Counter(int(e.get("status") or 0) for e in calls)
    ok = [e for e in calls if 200 <= int(e.get("status") or 0) < 300]
    per_email = Counter(e.get("email") for e in ok if e.get("email"))
    summary = raw.journal_summary or {}
    m["ansira_requests"] = float((summary.get("by_operation") or {}).get("create_user", len(calls)))
    m["ansira_2xx"] = float(len(ok))
    throttled = float(status.get(429, 0))
    m["ansira_429"] = throttled
    m["ansira_5xx"] = float(sum(n for s, n in status.items() if s >= 500))
    m["ansira_429_ratio"] = _r(throttled / len(calls), 6) if calls else None
    m["duplicate_calls"] = float(sum(1 for n in per_email.values() if n > 1))
    m["token_fetches"] = float(summary.get("tokens_issued", 0))
    rc = raw.runner_counters
    m["ansira_429_seen"] = float(rc.get("http_429", 0))
    m["retry_after_honoured"] = float(rc.get("retry_after_honoured", 0))
    m["retries"] = float(rc.get("retried", 0) + rc.get("retry_after_honoured", 0)
                         + rc.get("token_refresh_on_401", 0) + rc.get("transport_errors", 0))
    m["retry_after_violations"] = float(retry_after_violations(
        raw.journal, allowance=max(0, raw.max_workers - 1), grace_s=raw.retry_after_grace_s,
        requests={str(r["request_id"]): r for r in raw.runner_requests}))
    if len(calls) >= 2 and ok:
        span = max(float(e["ts"]) for e in ok) - min(float(e["ts"]) for e in calls)
        m["achieved_rate"] = _r(len(ok) / span) if span > 0 else None
    else:
        m["achieved_rate"] = None
    m["ansira_limit"] = raw.ansira_limit
    m["rate_ratio"] = (_r(m["achieved_rate"] / raw.ansira_limit, 4)
                       if m["achieved_rate"] is not None and raw.ansira_limit else None)


def ansira_limit(behaviour: dict[str, Any]) -> float | None:
    """Requests/s the first client may make (token bucket rate, or fixed-window limit / window)."""
    clients = behaviour.get("clients") or []
    rl = (clients[0].get("rate_limit") if clients else None) or None
    if not rl:
        return None
    if rl.get("kind") == "token_bucket":
        return float(rl["rate"])
    if rl.get("kind") == "fixed_window":
        return float(rl["limit"]) / float(rl.get("window_s") or 1.0)
    return None


def _r(v: float | None, digits: int = 3) -> float | None:
    return None if v is None else round(float(v), digits)
