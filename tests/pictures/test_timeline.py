"""The chart series: counts by status class, Retry-After holds, token marks, user curves, latency, downsampling."""

from __future__ import annotations

import json

import pytest

from harness.pictures import report, timeline
from harness.scenario.checks import CheckResult
from harness.scenario.engine import ScenarioResult

T0 = 1_700_000_000.0


def _entry(ts: float, status: int, *, operation: str = "create_user", retry_after: float | None = None) -> dict:
    return {"ts": ts, "status": status, "operation": operation, "retry_after": retry_after}


def _outcome(trigger: float, done: float | None, status: str, latency: float | None = None) -> dict:
    return {"trigger_ts": trigger, "done_ts": done, "status": status, "latency_ms": latency}


def test_status_classes() -> None:
    assert [timeline.status_class(s) for s in (200, 201, 400, 404, 429, 500, 503, 0)] == [
        "2xx", "2xx", "4xx", "4xx", "429", "5xx", "5xx", "dropped"]


@pytest.mark.parametrize(("behaviour", "expected"), [
    ({"clients": [{"rate_limit": {"kind": "token_bucket", "rate": 50, "burst": 20}}]}, 50.0),
    ({"clients": [{"rate_limit": {"kind": "fixed_window", "limit": 30, "window_s": 2}}]}, 15.0),
    ({"clients": [{"client_id": "x"}]}, None),
    (None, None),
])
def test_rate_limit_of(behaviour: dict | None, expected: float | None) -> None:
    assert timeline.rate_limit_of(behaviour) == expected


def test_build_counts_holds_tokens_and_users() -> None:
    journal = [_entry(T0, 200, operation="token"), _entry(T0 + 0.1, 201), _entry(T0 + 0.3, 429, retry_after=1),
               _entry(T0 + 0.35, 429, retry_after=1), _entry(T0 + 2.5, 200), _entry(T0 + 2.6, 0),
               _entry(T0 + 3.0, 503), _entry(T0 + 3.1, 200, operation="list_users")]
    outcomes = [_outcome(T0, T0 + 0.2, "enriched", 200), _outcome(T0, T0 + 2.6, "enriched", 2600),
                _outcome(T0, T0 + 3.0, "omitted"), _outcome(T0, None, "pending")]
    tl = timeline.build(journal, outcomes, rate_limit=50)
    assert tl["bucket_s"] == 0.2 and tl["limit"] == 50
    assert tl["totals"] == {"2xx": 2, "4xx": 0, "429": 2, "5xx": 1, "dropped": 1}  # token and list calls aside
    assert sum(tl["requests"]["429"]) * tl["bucket_s"] == pytest.approx(2)  # per second, back to counts
    assert tl["holds"] == [[T0 + 0.3, T0 + 1.35]]  # two overlapping holds merge into one
    assert tl["tokens"] == [T0] and tl["token_requests"] == 1
    users = tl["users"]
    assert users["enriched"][0] == 0 and users["enriched"][-1] == 2
    assert users["omitted"][-1] == 1 and users["pending"][-1] == 1
    assert users["audience"][-1] == 2  # the pending user and the omitted one still lack a UUID
    assert users["pending"][0] == 4
    assert tl["latency"]["p50"][1] == 200 and tl["latency"]["p99"][-1] is None
    assert sum(tl["histogram"]["counts"]) == 2


def test_empty_run() -> None:
    assert timeline.build([], [], rate_limit=None) == {"empty": True, "limit": None}


def test_many_holds_are_merged_down_to_the_cap() -> None:
    journal = [_entry(T0 + i * 2, 429, retry_after=1) for i in range(timeline.MAX_MARKS * 3)]
    tl = timeline.build(journal, [])
    assert len(tl["holds"]) <= timeline.MAX_MARKS
    assert tl["holds"][0][0] == T0 and tl["holds"][-1][1] == T0 + (timeline.MAX_MARKS * 3 - 1) * 2 + 1


def test_a_100k_user_report_stays_small() -> None:
    """A two-hour, 100k-user run: bucketed series keep the whole page to a few hundred kB."""
    n = 100_000
    journal = [_entry(T0 + i * 0.072, 429 if i % 10 == 0 else 201, retry_after=1 if i % 10 == 0 else None)
               for i in range(n)]
    journal += [_entry(T0 + i * 600, 200, operation="token") for i in range(12)]
    outcomes = [_outcome(T0 + i * 0.07, T0 + i * 0.072 + 0.5, "enriched", 500.0 + i % 300) for i in range(n)]
    tl = timeline.build(journal, outcomes, rate_limit=15)
    assert len(tl["x"]) <= timeline.MAX_POINTS
    assert tl["totals"]["2xx"] + tl["totals"]["429"] == n
    assert tl["users"]["enriched"][-1] == n
    result = ScenarioResult("big", "big.jsonnet", "", checks=[CheckResult("c", True, "fine")], timeline=tl)
    page = report.render([result])
    assert len(page.encode()) < 1_000_000, f"{len(page.encode())} bytes"
    assert json.loads(page.split('id="timeline-0">', 1)[1].split("</script>", 1)[0])["users"]["enriched"][-1] == n


def test_report_escapes_and_redacts() -> None:
    from harness.redact import REDACTOR

    REDACTOR.add("s3cret-value-xyz")
    bad = CheckResult("<b>check</b>", False, "saw s3cret-value-xyz", details=["</script><script>alert(1)"])
    result = ScenarioResult("x", None, "", checks=[bad], timeline={"empty": True, "note": "</script>"})
    page = report.render([result])
    assert "s3cret-value-xyz" not in page
    assert "<b>check</b>" not in page and "&lt;b&gt;check&lt;/b&gt;" in page
    assert "</script><script>alert(1)" not in page
    assert '"note":"<\\/script>"' in page


def test_steps_and_a_rate_limit_that_changes_mid_run() -> None:
    journal = [_entry(T0 + i * 0.5, 201) for i in range(21)]  # ten seconds of calls
    before = {"clients": [{"client_id": "c", "client_secret": "s3cret-x", "rate_limit": {
        "kind": "token_bucket", "rate": 50, "burst": 5}}]}
    tighter = {"clients": [{"client_id": "c", "rate_limit": {"kind": "token_bucket", "rate": 10, "burst": 5}}]}
    marks = [(T0, 0, "create_jobs", None), (T0 + 5, 1, "ansira_behaviour", tighter), (T0 + 6, 2, "wait_until", None)]
    tl = timeline.with_steps(timeline.build(journal, [], rate_limit=50), marks, before)
    assert [s[1] for s in tl["steps"]] == ["1. create_jobs", "2. ansira_behaviour", "3. wait_until"]
    series = tl["limit_series"]
    assert len(series) == len(tl["x"]) and series[0] == 50 and series[-1] == 10
    switch = next(i for i, v in enumerate(series) if v == 10)
    assert abs(tl["x"][switch] - (T0 + 5)) <= tl["bucket_s"]


def test_no_limit_series_without_behaviour_steps() -> None:
    tl = timeline.with_steps(timeline.build([_entry(T0, 201)], [], rate_limit=None), [(T0, 0, "collect", None)], None)
    assert "limit_series" not in tl and tl["steps"] == [[T0, "1. collect"]]
