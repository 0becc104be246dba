"""The Markdown summaries as a CI page shows them: rendered to HTML by a GFM-table Markdown parser (markdown-it-py,
as GitHub renders a step summary) and read back from a headless Debian chromium driven by Playwright.

What only a rendering shows: every row has the table's columns (a `|` or a line break in a reason would split or
end a row), failing rows come first, and text from a reason (`<script>`, `<b>`) stays text.
Skipped only when no chromium is installed and CI is not set; never `playwright install`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from markdown_it import MarkdownIt

from harness.load.report_ci import markdown as load_markdown
from harness.load.run import LoadResult
from harness.load.thresholds import evaluate, parse
from harness.scenario import report
from harness.scenario.checks import CheckResult
from harness.scenario.engine import ScenarioResult

NASTY = "expected <= 5 | not 6, actual 7\n<script>window.pwned = 1</script> <b>bold</b> &amp;"


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:
    """A page of the session's shared browser (tests/conftest.py)."""
    ctx = browser.new_context()
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def _show(page: Any, md: str) -> list[list[list[str]]]:
    """Every table on the rendered page as rows of cell texts (header row first)."""
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    page.set_content(f"<!doctype html><meta charset='utf-8'><body>{html}</body>")
    tables: list[list[list[str]]] = page.eval_on_selector_all(
        "table", "ts => ts.map(t => [...t.rows].map(r => [...r.cells].map(c => c.textContent)))")
    return tables


def test_run_summary_renders_as_one_table_failures_first(page: Any) -> None:
    results = [
        ScenarioResult("good", "scenarios/good.jsonnet", "", [CheckResult("a", True, "fine", kind="outcomes")],
                       duration_s=2.0),
        ScenarioResult("bad", "scenarios/bad.jsonnet", "", [
            CheckResult("held", True, "ok", kind="duration"),
            CheckResult("Ansira create_user calls", False, NASTY, ["user <x@example.com>"], kind="ansira_calls")],
            duration_s=4.0),
        ScenarioResult("stuck", "scenarios/stuck.jsonnet", "", [], duration_s=1.0, error="steps[2]: timed out"),
    ]
    tables = _show(page, report.markdown(results))
    assert len(tables) == 1
    header, *rows = tables[0]
    assert header == ["result", "scenario", "check", "expected vs actual", "time"]
    assert all(len(r) == 5 for r in rows), rows
    assert [r[0] for r in rows] == ["❌ FAIL", "⚠️ ERROR", "✅ pass", "✅ pass"]
    assert rows[0][1:3] == ["bad", "ansira_calls[0]: Ansira create_user calls"]
    assert rows[0][3] == "expected <= 5 | not 6, actual 7<script>window.pwned = 1</script> <b>bold</b> &amp;"
    assert page.eval_on_selector_all("tbody tr:first-child td br", "e => e.length") == 1  # the reason's line break
    assert rows[1][1:4] == ["stuck (scenarios/stuck.jsonnet)", "run", "steps[2]: timed out"]
    assert rows[2][1:3] == ["good", "1 check passed"] and rows[3][1:3] == ["bad", "1 of 2 checks passed"]
    assert page.evaluate("window.pwned") is None and page.eval_on_selector_all("script, b", "e => e.length") == 0
    heading = page.inner_text("h3")
    assert heading.startswith("enrichsim run: FAIL — 1 of 3 scenarios passed, 2 of 3 checks passed, 1 could not run")


def test_load_summary_renders_thresholds_first_and_folds_the_measures(page: Any) -> None:
    metrics: dict[str, float | None] = {"lost_users": 0, "enrich_latency_p99_ms": 612.0, "users_enriched": 20}
    result = LoadResult("smoke", "scenarios/load/smoke.jsonnet", metrics=metrics, thresholds=[
        evaluate(parse(t), metrics) for t in ("lost_users == 0", "enrich_latency_p99_ms < 250")])
    tables = _show(page, load_markdown(result, duration_s=12.5))
    assert len(tables) == 2
    header, *rows = tables[0]
    assert header == ["result", "threshold", "expected vs actual"] and all(len(r) == 3 for r in rows)
    assert rows[0] == ["❌ FAIL", "enrich_latency_p99_ms < 250",
                       "expected enrich_latency_p99_ms < 250, actual 612 < 250 is false: over by 362 (144.8%)"]
    assert rows[1] == ["✅ pass", "lost_users == 0", "0 == 0"]
    assert [r[0] for r in tables[1][1:]][:3] == ["requests sent", "rate", "429s"]
    assert page.is_visible("details summary") and not page.is_visible("details table")  # folded until opened
    page.click("details summary")
    assert page.is_visible("details table")
