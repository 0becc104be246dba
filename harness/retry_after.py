"""What counts as ignoring a Retry-After: one rule for the scenario check and the load report.

A request violates a Retry-After window when the runner *sent* it after it *received* the 429 that opened the
window, and before the window ended. Both times come from the runner's request log (`request_id` joins it to mock
Ansira's journal, from the `X-Enrichsim-Request-Id` header the runner adds): a request already on the wire when
the 429 came back is not a violation, however late Ansira saw it. The window is measured from the runner's
receipt, for the number of seconds Ansira asked for (the journal's `retry_after`).

Journal entries the runner has no record of (a runner that does not log its requests, a log that overflowed)
fall back to the journal-only rule: arrival times against the window Ansira opened when it answered, tolerating
up to `allowance` arrivals within `grace_s` of the window's start as already in flight.

Counting is O(n log n): per client, send times sorted once, then two bisections per window.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Runner stamps are epoch seconds (~1.7e9), whose float spacing is ~2.4e-7 s: a send stamped exactly at the
# window's end may read a few ulps early. Far below any real early send (the gate holds to the microsecond).
EPSILON_S = 1e-6
# Journal-only windows end 10 ms early: arrival times there are Ansira's clock, the sleep is the runner's.
JOURNAL_END_SLACK_S = 0.01

HEADER = "X-Enrichsim-Request-Id"


@dataclass
class Verdict:
    windows: int = 0
    exact_windows: int = 0  # windows opened by a 429 the runner logged receiving
    violations: int = 0
    samples: list[str] = field(default_factory=list)


def violations(journal: Iterable[dict[str, Any]], requests: Mapping[str, Mapping[str, Any]] | None = None, *,
               allowance: int, grace_s: float, show: int = 5) -> Verdict:
    """Requests sent inside Retry-After windows; `requests` maps request_id -> the runner's record of it."""
    requests = requests or {}
    sent: dict[Any, list[tuple[float, int]]] = defaultdict(list)  # client -> (runner send time, seq)
    unlogged: dict[Any, list[tuple[float, int]]] = defaultdict(list)  # client -> (arrival, seq), no send time
    arrived: dict[Any, list[tuple[float, int]]] = defaultdict(list)  # client -> (arrival, seq), every request
    windows: list[tuple[Any, dict[str, Any], float | None]] = []
    for e in journal:
        client = e.get("client_id")
        rec = requests.get(str(e["request_id"])) if e.get("request_id") else None
        if e.get("operation") != "token":
            arrival = (float(e["ts"]), int(e["seq"]))
            arrived[client].append(arrival)
            if rec is not None and rec.get("sent_ts") is not None:
                sent[client].append((float(rec["sent_ts"]), int(e["seq"])))
            else:
                unlogged[client].append(arrival)
        if e.get("retry_after"):
            got = rec.get("received_ts") if rec is not None else None
            windows.append((client, e, None if got is None else float(got)))
    for lists in (sent, unlogged, arrived):
        for lst in lists.values():
            lst.sort()
    v = Verdict(windows=len(windows))
    for client, e, got in windows:
        ra, seq = float(e["retry_after"]), int(e["seq"])
        answered = float(e["ts"]) + float(e.get("duration_ms") or 0) / 1000.0
        if got is not None:
            v.exact_windows += 1
            sends = sent[client]
            a, b = _between(sends, got, got + ra - EPSILON_S)
            _add(v, sends[a:b], show, got, "request #{} was sent {:.3f}s after the runner received the 429 of "
                 f"#{seq}, inside its {ra:g}s Retry-After")
            pool = unlogged[client]  # requests the runner did not log: judged by the journal alone
        else:
            pool = arrived[client]
        a, b = _between(pool, answered, answered + ra - JOURNAL_END_SLACK_S)
        early = max(0, min(b, bisect.bisect_right(pool, (answered + grace_s, float("inf")))) - a)
        _add(v, pool[a + min(allowance, early):b], show, answered, "request #{} arrived {:.3f}s into the "
             f"{ra:g}s Retry-After window opened by #{seq} (no runner send time)")
    return v


def _between(items: list[tuple[float, int]], lo: float, hi: float) -> tuple[int, int]:
    """Index range of the items with lo < time < hi."""
    a = bisect.bisect_right(items, (lo, float("inf")))
    return a, max(a, bisect.bisect_left(items, (hi, -1)))


def _add(v: Verdict, found: list[tuple[float, int]], show: int, start: float, say: str) -> None:
    """Count the offenders; describe the first few (`say` takes the seq and the seconds into the window)."""
    v.violations += len(found)
    v.samples.extend(say.format(s, t - start) for t, s in found[:max(0, show - len(v.samples))])
