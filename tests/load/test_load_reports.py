"""`harness load --report junit|markdown` from a real (backfill-only, so cheap) load run: one testcase per
threshold, the breach's expected vs actual first, and a step summary with failing thresholds first."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from harness.load.report_ci import junit, markdown
from harness.load.run import LoadResult
from harness.load.thresholds import evaluate, parse
from tests.junit_schema import validate

ROOT = Path(__file__).resolve().parents[2]


def test_load_junit_and_markdown_from_a_real_run(scenario_file: Callable[[str], Path], tmp_path: Path) -> None:
    f = scenario_file("""a.base {
      name: 'impossible', profiles+: { generate: { count: 20 } },
      load: { drain_timeout_s: 30, thresholds: [
        'enrichments_per_s > 1e9', 'lost_users == 0', 'enrich_latency_p99_ms < 250', 'lost_users == 0'] },
    }""")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness", "load", str(f), "--report", "junit", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert validate(proc.stdout) == []
    assert proc.stdout == (out / "junit.xml").read_text()
    root = ElementTree.fromstring(proc.stdout.encode())
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "load impossible" and suite.get("timestamp")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["enrichments_per_s > 1e9", "lost_users == 0",
                                              "enrich_latency_p99_ms < 250", "lost_users == 0 #2"]
    assert {c.get("classname") for c in cases} == {"load.impossible"} and {c.get("file") for c in cases} == {str(f)}
    assert all(float(c.get("time") or 0) > 0 for c in cases)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    breach = cases[0].find("failure")
    assert breach is not None
    assert (breach.get("message") or "").startswith("expected enrichments_per_s > 1e9, actual ")
    assert "is false: under by" in (breach.get("message") or "")
    no_samples = cases[2].find("failure")
    assert no_samples is not None
    assert (no_samples.get("message") or "").startswith(
        "expected enrich_latency_p99_ms < 250, actual no samples for enrich_latency_p99_ms")
    assert cases[1].find("failure") is None and cases[3].find("failure") is None

    md = (out / "summary.md").read_text().splitlines()
    assert md[0].startswith("### enrichsim load impossible: FAIL — 2 of 4 thresholds held in ")
    rows = [ln for ln in md if ln.startswith("| ") and "---" not in ln]
    assert rows[0] == "| result | threshold | expected vs actual |"
    assert rows[1].startswith("| ❌ FAIL | enrichments_per_s > 1e9 | expected enrichments_per_s > 1e9, actual ")
    assert rows[2].startswith("| ❌ FAIL | enrich_latency_p99_ms < 250 |")
    assert rows[3].startswith("| ✅ pass | lost_users == 0 | 0 == 0")
    assert any(ln.startswith("| users |") and "lost 0" in ln for ln in md)  # the measures, folded


def _result(thresholds: list[str], metrics: dict[str, float | None], errors: list[str] | None = None) -> LoadResult:
    return LoadResult("r", "r.jsonnet", metrics=metrics, errors=errors or [],
                      thresholds=[evaluate(parse(t), metrics) for t in thresholds])


def test_run_errors_and_a_spec_without_thresholds_still_make_a_testcase() -> None:
    broken = junit(_result(["lost_users == 0"], {"lost_users": 0},
                           ["drain after the load phase: not drained within 30s\n  pending 3"]), duration_s=10.0)
    assert validate(broken) == []
    cases = ElementTree.fromstring(broken.encode()).findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["run", "lost_users == 0"]
    assert [c.get("time") for c in cases] == ["5.000", "5.000"]
    error = cases[0].find("error")
    assert error is not None and error.get("message") == "drain after the load phase: not drained within 30s"
    assert "pending 3" in (error.text or "")

    empty = junit(_result([], {}), duration_s=2.0)
    assert validate(empty) == []
    cases = ElementTree.fromstring(empty.encode()).findall("testsuite/testcase")
    assert [(c.get("name"), len(list(c))) for c in cases] == [("run", 0)]  # a passing run, not an empty suite
    assert "No thresholds in the load spec" in markdown(_result([], {}))
    md = markdown(_result(["lost_users == 0"], {"lost_users": 0}, ["boom | pipe"]))
    assert "| ⚠️ ERROR | run | boom \\| pipe |" in md


def test_a_load_run_that_cannot_start_still_writes_its_ci_reports(tmp_path: Path) -> None:
    """The run stops before any process starts (the API key's variable is unset): exit 1, the reason on stderr,
    and CI still gets a JUnit `run` error and a summary, not a missing file."""
    env = {k: v for k, v in os.environ.items() if k != "ENRICHSIM_UNSET_KEY"}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness", "load", "scenarios/load/smoke.jsonnet", "--api-key-env",
                           "ENRICHSIM_UNSET_KEY", "--report", "junit", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ENRICHSIM_UNSET_KEY is not set" in proc.stderr
    assert validate(proc.stdout) == [] and proc.stdout == (out / "junit.xml").read_text()
    cases = ElementTree.fromstring(proc.stdout.encode()).findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["run"]
    error = cases[0].find("error")
    assert error is not None and "ENRICHSIM_UNSET_KEY is not set" in (error.get("message") or "")
    assert "| ⚠️ ERROR | run | --api-key-env: environment variable ENRICHSIM_UNSET_KEY" in (
        out / "summary.md").read_text()
