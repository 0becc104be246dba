"""Turn what a run recorded (Ansira's journal, the runner's outcomes) into chart-ready, downsampled series.

One shared time axis for every chart: buckets of `bucket_s` seconds (0.2 s for a short run, wider for long runs so
a series has about TARGET_POINTS points and never more than MAX_POINTS). A 100k-user run therefore costs a few
hundred kB of JSON, not one row per user. Pure functions over plain dicts, so the report and the live console
draw the same pictures from the same code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

MAX_POINTS = 1200  # buckets on the time axis at most
MAX_MARKS = 500  # token markers and Retry-After holds drawn one by one at most (more are merged)
HIST_BINS = 40
STATUS_CLASSES = ("2xx", "4xx", "429", "5xx", "dropped")
WEBHOOK_OPERATIONS = frozenset({"create_user"})


def status_class(status: int) -> str:
    """The requests chart's colour for one answer: 0 means the mock closed the socket without one."""
    if status == 0:
        return "dropped"
    if status == 429:
        return "429"
    if 200 <= status < 300:
        return "2xx"
    if 400 <= status < 500:
        return "4xx"
    return "5xx"


def rate_limit_of(behaviour: dict[str, Any] | None) -> float | None:
    """Calls per second the first client may make (token bucket rate, or window limit / window), if limited."""
    clients = (behaviour or {}).get("clients") or []
    limit = clients[0].get("rate_limit") if clients and isinstance(clients[0], dict) else None
    if not isinstance(limit, dict):
        return None
    if limit.get("kind") == "token_bucket" and limit.get("rate"):
        return float(limit["rate"])
    if limit.get("kind") == "fixed_window" and limit.get("limit") and limit.get("window_s"):
        return float(limit["limit"]) / float(limit["window_s"])
    return None


def _span(journal: Sequence[dict[str, Any]], outcomes: Sequence[dict[str, Any]], also: Sequence[float] = ()
          ) -> tuple[float, float] | None:
    times = [float(e["ts"]) for e in journal] + [float(t) for t in also]
    for o in outcomes:
        if o.get("trigger_ts"):
            times.append(float(o["trigger_ts"]))
        if o.get("done_ts"):
            times.append(float(o["done_ts"]))
    if not times:
        return None
    return min(times), max(times)


NICE_WIDTHS = (0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
TARGET_POINTS = 300


def bucket_width(duration_s: float, max_points: int = MAX_POINTS) -> float:
    """The smallest round width (0.2 s up) that puts the run in about TARGET_POINTS buckets, never more than
    `max_points`: short runs keep their detail, long ones stay small."""
    want = max(duration_s / min(TARGET_POINTS, max_points), 0.0)
    for w in NICE_WIDTHS:
        if w >= want:
            return float(w)
    return float(math.ceil(duration_s / max_points))


def _merge(intervals: Iterable[tuple[float, float]], max_items: int) -> list[list[float]]:
    """Overlapping holds become one; if still too many, close gaps until they fit (drawn shading stays true)."""
    out: list[list[float]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    while len(out) > max_items:
        gaps = sorted(range(len(out) - 1), key=lambda i: out[i + 1][0] - out[i][1])
        drop = set(gaps[: len(out) - max_items])
        merged: list[list[float]] = []
        for i, iv in enumerate(out):
            if merged and i - 1 in drop:
                merged[-1][1] = max(merged[-1][1], iv[1])
            else:
                merged.append(list(iv))
        out = merged
    return [[round(a, 3), round(b, 3)] for a, b in out]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values.sort()
    rank = max(1, min(len(values), math.ceil(q * len(values) / 100)))
    return round(values[rank - 1], 1)


def _histogram(values: list[float], bins: int = HIST_BINS) -> dict[str, list[float]]:
    if not values:
        return {"edges": [], "counts": []}
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    return {"edges": [round(lo + i * width, 1) for i in range(bins)], "counts": [float(c) for c in counts]}


def build(journal: Sequence[dict[str, Any]], outcomes: Sequence[dict[str, Any]], *,
          rate_limit: float | None = None, max_points: int = MAX_POINTS, also: Sequence[float] = ()
          ) -> dict[str, Any]:
    """Every series the report and the console draw, on one time axis (epoch seconds, bucket starts); `also`
    stretches the axis over more moments (a load phase that began before the first Ansira call)."""
    span = _span(journal, outcomes, also)
    if span is None:
        return {"empty": True, "limit": rate_limit}
    t0, t1 = span
    width = bucket_width(t1 - t0, max_points)
    n = int((t1 - t0) // width) + 1
    x = [t0 + i * width for i in range(n)]

    def idx(ts: float) -> int:
        return max(0, min(n - 1, int((ts - t0) // width)))

    counts = {c: [0.0] * n for c in STATUS_CLASSES}
    holds: list[tuple[float, float]] = []
    tokens: list[float] = []
    for e in journal:
        ts = float(e["ts"])
        if e.get("operation") == "token":
            tokens.append(round(ts, 3))
            continue
        if e.get("operation") not in WEBHOOK_OPERATIONS:
            continue
        counts[status_class(int(e["status"]))][idx(ts)] += 1
        if int(e["status"]) == 429 and e.get("retry_after"):
            holds.append((ts, ts + float(e["retry_after"])))
    per_s = {c: [round(v / width, 3) for v in series] for c, series in counts.items()}

    entered = [0] * n
    enriched = [0] * n
    omitted = [0] * n
    lat_by_bucket: list[list[float]] = [[] for _ in range(n)]
    latencies: list[float] = []
    for o in outcomes:
        if o.get("trigger_ts"):
            entered[idx(float(o["trigger_ts"]))] += 1
        if o.get("done_ts") and o.get("status") in ("enriched", "omitted"):
            i = idx(float(o["done_ts"]))
            (enriched if o["status"] == "enriched" else omitted)[i] += 1
            if o["status"] == "enriched" and o.get("latency_ms") is not None:
                lat_by_bucket[i].append(float(o["latency_ms"]))
                latencies.append(float(o["latency_ms"]))
    users: dict[str, list[float]] = {"enriched": [], "omitted": [], "pending": [], "audience": []}
    c_in = c_en = c_om = 0
    for i in range(n):
        c_in, c_en, c_om = c_in + entered[i], c_en + enriched[i], c_om + omitted[i]
        pending = max(0, c_in - c_en - c_om)
        users["enriched"].append(float(c_en))
        users["omitted"].append(float(c_om))
        users["pending"].append(float(pending))
        users["audience"].append(float(pending + c_om))  # omitted users keep no UUID, so they stay in it
    latency = {f"p{q}": [_percentile(b, q) for b in lat_by_bucket] for q in (50, 95, 99)}
    return {
        "empty": False, "t0": t0, "bucket_s": width, "x": x, "limit": rate_limit, "requests": per_s,
        "totals": {c: int(sum(v)) for c, v in counts.items()},
        "holds": _merge(holds, MAX_MARKS), "tokens": tokens if len(tokens) <= MAX_MARKS else tokens[:: math.ceil(
            len(tokens) / MAX_MARKS)], "token_requests": len(tokens),
        "users": users, "latency": latency, "histogram": _histogram(latencies),
    }


def with_steps(tl: dict[str, Any], marks: Sequence[tuple[float, int, str, dict[str, Any] | None]],
               behaviour: dict[str, Any] | None) -> dict[str, Any]:
    """Add a scenario's steps (when each began) and the rate limit per bucket as `ansira_behaviour` steps change it.

    `marks`: (epoch seconds, step index, action, the step's Ansira behaviour patch or None).
    """
    if tl.get("empty"):
        return tl
    from mock_ansira.behaviour import merge_documents

    tl["steps"] = [[round(ts, 3), f"{i + 1}. {action}"] for ts, i, action, _ in marks[:MAX_MARKS]]
    changes: list[tuple[float, float | None]] = []
    doc = behaviour or {}
    for ts, _, _, patch in marks:
        if patch is not None:
            doc = merge_documents(doc, patch)
            changes.append((ts, rate_limit_of(doc)))
    if changes:
        limit, series, k = tl.get("limit"), [], 0
        for start in tl["x"]:
            while k < len(changes) and changes[k][0] <= start + tl["bucket_s"] / 2:
                limit, k = changes[k][1], k + 1
            series.append(limit)
        tl["limit_series"] = series
    return tl


def for_scenario(journal: Sequence[dict[str, Any]], outcomes: Sequence[dict[str, Any]],
                 marks: Sequence[tuple[float, int, str, dict[str, Any] | None]], behaviour: dict[str, Any] | None
                 ) -> dict[str, Any]:
    """A scenario run's timelines: its axis spans its steps too (set-up included), with the steps drawn."""
    tl = build(journal, outcomes, rate_limit=rate_limit_of(behaviour), also=[m[0] for m in marks])
    return with_steps(tl, marks, behaviour)
