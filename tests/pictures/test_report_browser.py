"""`harness run ... --report html --out DIR` on the rate-limited scenario, opened in a real (headless) chromium."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.pictures.assets import asset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    proc = subprocess.run([sys.executable, "-m", "harness", "run", "scenarios/rate_limit_backfill.jsonnet",
                           "--report", "html", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout  # --out with --report html still prints the text report
    return out / "report.html"


def test_report_is_self_contained(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", text), "scripts must be inline"
    assert not re.search(r"<link[^>]*\bhref=[\"']?https?://", text), "no remote stylesheet"
    assert "rate_limit_backfill" in text and "every Retry-After honoured" in text
    assert asset("uPlot.iife.min.js") in text and asset("charts.js") in text  # inlined whole, nothing redacted
    for name in ("report.json", "junit.xml", "report.txt"):  # the existing files are still written beside it
        assert (report.parent / name).exists()


def _plot(page: Any, key: str) -> dict[str, Any]:
    return page.evaluate("""key => {
        const p = EnrichsimCharts.plots.find(p => p.enrichsimKey === key);
        return {labels: p.series.map(s => s.label), data: p.data};
    }""", key)


def test_report_renders_in_chromium(report: Path, page: Any) -> None:
    pg = page.page
    pg.goto(report.as_uri())
    pg.wait_for_selector(".chart-histogram canvas")
    assert pg.locator(".scenario").count() == 1
    assert pg.locator(".scenario .chart canvas").count() == 4  # requests, users, latency, histogram
    assert pg.locator("table.checks tbody tr").count() == 7
    req = _plot(pg, "requests")
    assert req["labels"][1:] == ["2xx", "4xx", "429", "5xx", "dropped", "limit"]
    limit = req["data"][6]
    assert limit and all(v == 10 for v in limit), "the limit line is the scenario's 10 calls/s"
    markers = [(i, v) for i, v in enumerate(req["data"][3]) if v is not None]
    assert markers, "the 429 markers are drawn where Ansira answered 429"
    steps = pg.evaluate("JSON.parse(document.getElementById('timeline-0').textContent).steps.map(s => s[1])")
    assert steps == ["1. create_profiles", "2. create_jobs", "3. wait_until"]  # drawn as labelled rules
    users = _plot(pg, "users")
    assert users["data"][1][-1] == 40, "the enriched line ends at the 40 users of the backfill"
    assert page.errors == [] and page.external == []

    # hover the first 429 marker: the legend shows that bucket's values
    i, value = markers[0]
    x = pg.evaluate("""i => {
        const p = EnrichsimCharts.plots.find(p => p.enrichsimKey === 'requests');
        return p.valToPos(p.data[0][i], 'x');
    }""", i)
    legend_before = pg.locator(".chart-requests .u-legend .u-series").last.locator(".u-value").inner_text()
    assert legend_before != "10", "no values before a hover"
    box = pg.locator(".chart-requests .u-over").bounding_box()
    pg.mouse.move(box["x"] + x + 1, box["y"] + box["height"] / 2)
    legend = pg.locator(".chart-requests .u-legend .u-series")
    values = dict(zip(legend.locator(".u-label").all_inner_texts(), legend.locator(".u-value").all_inner_texts(),
                      strict=True))
    assert float(values["429"]) == pytest.approx(value, abs=0.01)
    assert values["limit"] == "10"
    assert page.errors == []
