"""`harness load --report html`: arrival rate planned vs achieved, client vs server latency, the joined table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.load.metrics import Raw, compute
from harness.load.run import LoadResult
from harness.load.thresholds import evaluate
from harness.load.thresholds.parser import parse
from harness.pictures import load_charts, load_report

T0 = 1_800_000_000.0
HISTORY = """Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,\
Total Request Count,Total Failure Count
{t0},0,,Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0
{t1},10,,Aggregated,0,0,5,6,7,8,9,12,13,14,15,15,15,20,0
{t2},10,,Aggregated,0,0,6,6,7,8,9,11,13,14,15,15,15,40,0
{t3},10,,Aggregated,20,0,7,6,7,8,9,10,13,14,15,15,15,60,0
"""


@pytest.mark.parametrize(("since", "expected"), [(-1, None), (0, 0.0), (5, 25.0), (10, 50.0), (15, 50.0),
                                                 (20, 50.0), (20.5, None)])
def test_target_rate_follows_linear_ramps(since: float, expected: float | None) -> None:
    assert load_charts.target_rate([(10, 50), (10, 50)], 0.0, since) == expected


def _raw() -> Raw:
    enters = [{"event": "enter", "profile_id": f"p{i}", "cause_ts": T0 + 1 + i * 0.05} for i in range(60)]
    fields = [{"_id": f"p{i}", "field_ts": {"ansira_uuid": T0 + 1.2 + i * 0.05}, "first_seen_ts": T0 + 1 + i * 0.05}
              for i in range(60)]
    journal = [{"seq": i + 1, "ts": T0 + 1.1 + i * 0.05, "status": 201 if i % 10 else 429, "operation": "create_user",
                "retry_after": None if i % 10 else 1.0} for i in range(60)]
    outcomes = [{"user": f"p{i}", "trigger_ts": T0 + 1 + i * 0.05, "done_ts": T0 + 1.2 + i * 0.05, "status": "enriched",
                 "latency_ms": 200.0} for i in range(60)]
    return Raw(job_start_ts=T0, load_start_ts=T0, load_end_ts=T0 + 4, drained_ts=T0 + 5, backfill_users=0,
               field_times=fields, enters=enters, members_at_end=[], journal=journal,
               journal_summary={"total": 60, "by_status": {"201": 54, "429": 6}}, outcomes=outcomes,
               runner_counters={}, locust={"counters": {"events_sent": 60}, "total": {"requests": 60, "failures": 0}},
               ansira_limit=15.0, target_rate=20.0)


def _work(tmp_path: Path) -> Path:
    (tmp_path / "locust_stats_history.csv").write_text(
        HISTORY.format(t0=int(T0), t1=int(T0) + 1, t2=int(T0) + 2, t3=int(T0) + 3), encoding="utf-8")
    return tmp_path


def test_load_series(tmp_path: Path) -> None:
    tl = load_charts.build(_raw(), _work(tmp_path), stages=[(3.0, 20.0)], start_rate=20.0)
    load = tl["load"]
    assert tl["limit"] == 15.0 and tl["totals"]["429"] == 6
    assert load["plan_start_ts"] == T0  # the last history row before locust's first request
    assert {v for v in load["target"] if v is not None} == {20.0}
    assert [v for v in load["achieved_client"] if v is not None] == [20.0, 20.0, 20.0]  # from the request counts
    assert sum(load["enters"]) * tl["bucket_s"] == pytest.approx(60)
    assert {v for v in load["server_p50"] if v is not None} == {200.0}  # enter -> UUID written, 200 ms each
    assert [v for v in load["client_p95"] if v is not None] == [12.0, 11.0, 10.0]


def test_load_report_renders(tmp_path: Path, page: Any) -> None:
    raw = _raw()
    result = LoadResult("synthetic", "synthetic.jsonnet", metrics=compute(raw))
    result.thresholds = [evaluate(parse("lost_users == 0"), result.metrics)]
    result.charts = load_charts.build(raw, _work(tmp_path), stages=[(3.0, 20.0)], start_rate=20.0)
    html = tmp_path / "report.html"
    html.write_text(load_report.render(result), encoding="utf-8")
    pg = page.page
    pg.goto(html.as_uri())
    pg.wait_for_selector(".chart-histogram canvas")
    keys = pg.evaluate("EnrichsimCharts.plots.map(p => p.enrichsimKey)")
    assert keys == ["arrival", "load-latency", "requests", "users", "latency", "histogram"]
    labels = pg.evaluate("EnrichsimCharts.plots[0].series.map(s => s.label)")
    assert labels[1:] == ["target", "collect req/s (client)", "enters/s (server)"]
    assert pg.locator("table.joined tbody tr").first.inner_text().startswith("requests sent")
    assert "PASS" in pg.locator("table.thresholds").inner_text()
    assert page.errors == [] and page.external == []
