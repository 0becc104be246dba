"""The joined report: client-side (locust) and server-side (mocks, runner) figures side by side; text and JSON."""

from __future__ import annotations

import json
from typing import Any

from harness.load.run import LoadResult
from harness.load.thresholds.evaluate import fmt

DASH = "-"


def _n(v: float | None, unit: str = "") -> str:
    return DASH if v is None else f"{fmt(v)}{unit}"


def rows(r: LoadResult) -> list[tuple[str, str, str]]:
    m = r.metrics
    client = r.locust is not None

    def c(text: str) -> str:
        return text if client else "no client load"

    ratio = f" ({_n(m.get('rate_ratio'))})" if m.get("rate_ratio") is not None else ""
    limit = f"vs limit {_n(m.get('ansira_limit'), '/s')}{ratio}" if m.get("ansira_limit") else "(no limit)"
    failures = m.get("collect_failure_ratio")
    return [
        ("requests sent",
         c(f"collect {_n(m.get('collect_requests'))} ({_n(m.get('collect_failures'))} failed"
           f"{'' if failures is None else f', {failures:.2%}'})"),
         f"Ansira create_user {_n(m.get('ansira_requests'))} (2xx {_n(m.get('ansira_2xx'))}, "
         f"5xx {_n(m.get('ansira_5xx'))}) · tokens {_n(m.get('token_fetches'))}"),
        ("rate",
         c(f"{_n(m.get('achieved_arrival_rate'), '/s')} of {_n(m.get('target_rate'), '/s')} target"),
         f"Ansira 2xx {_n(m.get('achieved_rate'), '/s')} {limit}"),
        ("429s", DASH,
         f"served {_n(m.get('ansira_429'))} ({_pct(m.get('ansira_429_ratio'))}) · "
         f"seen by runner {_n(m.get('ansira_429_seen'))}"),
        ("retries", c(f"dropped arrivals {_n(m.get('dropped_arrivals'))}"),
         f"{_n(m.get('retries'))} (Retry-After honoured {_n(m.get('retry_after_honoured'))}, "
         f"violations {_n(m.get('retry_after_violations'))}) · duplicate 2xx users {_n(m.get('duplicate_calls'))}"),
        ("users",
         c(f"new {_n(m.get('new_users_sent'))} · updates {_n(m.get('updates_sent'))}"),
         f"backfill {_n(m.get('backfill_users'))} + real-time {_n(m.get('realtime_users'))}: enriched "
         f"{_n(m.get('users_enriched'))} · omitted {_n(m.get('users_omitted'))} · pending "
         f"{_n(m.get('users_pending'))} · lost {_n(m.get('lost_users'))}"),
        ("latency",
         c(f"collect p50 {_n(m.get('collect_p50_ms'))} / p95 {_n(m.get('collect_p95_ms'))} / "
           f"p99 {_n(m.get('collect_p99_ms'))} ms"),
         f"enrich p50 {_n(m.get('enrich_latency_p50_ms'))} / p95 {_n(m.get('enrich_latency_p95_ms'))} / "
         f"p99 {_n(m.get('enrich_latency_p99_ms'))} / max {_n(m.get('enrich_latency_max_ms'))} ms"),
        ("throughput", DASH,
         f"{_n(m.get('enrichments_per_s'), '/s')} enriched, job start to last enrichment "
         f"{_n(m.get('enrich_span_s'), ' s')}"),
        ("processes (CPU s)", c(f"locust {_n(m.get('locust_cpu_s'))}"),
         f"runner {_n(m.get('runner_cpu_s'))} (peak {_n(m.get('runner_peak_rss_mb'), ' MB')}) · "
         f"ansira {_n(m.get('ansira_cpu_s'))} · lytics {_n(m.get('lytics_cpu_s'))} · "
         f"{_n(m.get('cpu_ms_per_enrichment'), ' ms')} per enrichment"),
    ]


def _pct(v: float | None) -> str:
    return DASH if v is None else f"{v:.2%}"


def text(r: LoadResult) -> str:
    m = r.metrics
    verdict = "PASS" if r.ok else "FAIL"
    out = [f"load run {r.name}{f' ({r.file})' if r.file else ''}: {verdict}",
           f"  load phase {_n(m.get('duration_s'), ' s')}, drained {_n(m.get('drain_s'), ' s')} after it", ""]
    table = [("", "client side (locust)", "server side (mocks, runner)"), *rows(r)]
    w0 = max(len(a) for a, _, _ in table)
    w1 = max(len(b) for _, b, _ in table)
    out += [f"  {a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in table]
    if r.thresholds:
        out += ["", "thresholds"]
        w = max(len(t.threshold) for t in r.thresholds)
        out += [f"  {'PASS' if t.ok else 'FAIL'}  {t.threshold:<{w}}  {t.reason}" for t in r.thresholds]
    if r.errors:
        out += ["", "errors"] + [f"  {line}" for e in r.errors for line in e.splitlines()]
    if r.artefacts:
        out += ["", "artefacts: " + ", ".join(sorted(r.artefacts))]
    return "\n".join(out) + "\n"


def as_json(r: LoadResult) -> str:
    doc: dict[str, Any] = r.to_dict()
    doc["table"] = [{"measure": a, "client": b, "server": c} for a, b, c in rows(r)]
    return json.dumps(doc, indent=2)
