"""The series a load run adds to the common timelines: arrival rate planned vs achieved, client vs server latency.

Client side is locust's own per-second history (`locust_stats_history.csv`: collect requests per second from its
running request count, response-time percentiles over its sliding window); server side is mock Lytics' record:
audience enters per second and the enter -> UUID-written latency per user (harness.load.metrics.latencies_ms'
definition), bucketed on the same axis.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.pictures import timeline


def target_rate(stages: Sequence[tuple[float, float]], start_rate: float, since_start: float) -> float | None:
    """The plan's events/s `since_start` seconds into the load phase (linear ramps, like harness.load.shape)."""
    if since_start < 0:
        return None
    t, rate = 0.0, float(start_rate)
    for duration, end_rate in stages:
        if since_start <= t + duration:
            frac = (since_start - t) / duration if duration else 1.0
            return rate + (float(end_rate) - rate) * frac
        t, rate = t + duration, float(end_rate)
    return None


def _history(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row.get("Name") == "Aggregated"]


def _plan_start(history: list[dict[str, str]], fallback: float) -> float:
    """When locust's arrivals began: its last history row before the first request (whole seconds), or when its
    process was started if it kept no history. Locust takes a second or two to start after the process does."""
    before = None
    for row in history:
        if (_num(row.get("Total Request Count")) or 0) > 0:
            break
        before = _num(row.get("Timestamp"))
    return max(fallback, before) if before is not None else fallback


def _num(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return None if math.isnan(value) else value


def build(raw: Any, work: Path | None, *, stages: Sequence[tuple[float, float]], start_rate: float) -> dict[str, Any]:
    """The common timelines of the run plus `load`: target/achieved rates and client/server latency per bucket."""
    history = _history(work / "locust_stats_history.csv") if work is not None else []
    moments = [raw.load_start_ts, raw.load_end_ts, *(t for r in history if (t := _num(r.get("Timestamp"))))]
    tl = timeline.build(raw.journal, raw.outcomes, rate_limit=raw.ansira_limit, also=moments)
    if tl.get("empty"):
        return tl
    x: list[float] = tl["x"]
    width = float(tl["bucket_s"])
    t0, n = float(tl["t0"]), len(x)

    def idx(ts: float) -> int | None:
        i = int((ts - t0) // width)
        return i if 0 <= i < n else None

    plan_start = _plan_start(history, raw.load_start_ts)
    plan_s = sum(d for d, _ in stages)
    target = []
    for start in x:
        since = start + width / 2 - plan_start
        target.append(None if since > plan_s else _round(target_rate(stages, start_rate, since)))

    enters = [0.0] * n
    first_enter: dict[str, float] = {}
    for ev in raw.enters:
        if ev.get("event") == "enter":
            ts = float(ev.get("cause_ts") or ev.get("ts"))
            i = idx(ts)
            if i is not None:
                enters[i] += 1
            pid = str(ev.get("profile_id"))
            first_enter[pid] = min(ts, first_enter.get(pid, ts))
    server: list[list[float]] = [[] for _ in range(n)]
    for row in raw.field_times:
        done = (row.get("field_ts") or {}).get(raw.enrichment_field)
        entered = first_enter.get(str(row.get("_id")))
        if done is not None and entered is not None and done >= entered and (i := idx(float(done))) is not None:
            server[i].append((float(done) - entered) * 1000.0)

    achieved: list[float | None] = [None] * n
    client_p50: list[float | None] = [None] * n
    client_p95: list[float | None] = [None] * n
    prev: tuple[float, float] | None = None
    for row in history:
        row_ts, total = _num(row.get("Timestamp")), _num(row.get("Total Request Count"))
        if row_ts is None or total is None:
            continue
        if prev is not None and row_ts > prev[0] and (j := idx((row_ts + prev[0]) / 2)) is not None:
            achieved[j] = round((total - prev[1]) / (row_ts - prev[0]), 3)  # requests between two rows, per second
        i = idx(row_ts)
        if i is not None:
            client_p50[i], client_p95[i] = _num(row.get("50%")), _num(row.get("95%"))
        prev = (row_ts, total)

    tl["load"] = {
        "target": target,
        "achieved_client": achieved,
        "enters": [round(v / width, 3) for v in enters],
        "client_p50": client_p50, "client_p95": client_p95,
        "server_p50": [_pct(b, 50) for b in server], "server_p95": [_pct(b, 95) for b in server],
        "plan_start_ts": plan_start, "load_start_ts": raw.load_start_ts, "load_end_ts": raw.load_end_ts,
    }
    return tl


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def _pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    values.sort()
    return round(values[max(1, min(len(values), math.ceil(q * len(values) / 100))) - 1], 1)
