"""Reports of failing runs: JUnit XML parses with a standard parser and has one testcase per check, failures
carry expected vs actual, a run that timed out is an <error>, and secrets never reach any report."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from harness.cli import main
from harness.redact import REDACTOR
from harness.scenario import report
from harness.scenario.checks import CheckResult
from harness.scenario.engine import ScenarioResult

FAILING = """a.base { name: 'failing', profiles+: { generate: { count: 10 } },
  checks: [a.checks.all_enriched,
           { kind: 'audience_size', name: 'wrong size', segment: 'ansira_enrichment_source', size: { equals: 5 } },
           { kind: 'token_fetches', name: 'wrong tokens', count: { equals: 3 } }] }"""
TIMES_OUT = """a.base { name: 'stuck', profiles+: { generate: { count: 3 } },
  steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
          { wait_until: { idle: false, job_status: { ansira_enrichment: 'failed' }, timeout_s: 0.3 } }],
  checks: [a.checks.all_enriched] }"""


def test_junit_of_a_failing_and_a_stuck_scenario_via_the_cli(scenario_file: Callable[..., Path], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    failing, stuck = scenario_file(FAILING, name="failing"), scenario_file(TIMES_OUT, name="stuck")
    out = tmp_path / "out"
    assert main(["run", str(failing), str(stuck), "--report", "junit", "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    root = ElementTree.fromstring(printed.encode())
    assert ElementTree.tostring(root) == ElementTree.tostring(ElementTree.parse(out / "junit.xml").getroot())
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"failing", "stuck"}

    fail = suites["failing"]
    cases = fail.findall("testcase")
    assert [c.get("name") for c in cases] == ["every user with an email has an Ansira UUID", "wrong size",
                                              "wrong tokens"]
    assert fail.get("tests") == "3" and fail.get("failures") == "2" and fail.get("errors") == "0"
    assert cases[0].find("failure") is None
    size = cases[1].find("failure")
    assert size is not None and size.get("message") == "audience ansira_enrichment_source size: expected == 5, actual 0"
    tokens = cases[2].find("failure")
    assert tokens is not None and "tokens issued: expected == 3, actual 1" in (tokens.text or "")
    assert all(c.get("classname") == "failing" for c in cases)

    stuck_suite = suites["stuck"]
    assert stuck_suite.get("errors") == "1"
    run = stuck_suite.find("testcase[@name='run']")
    assert run is not None and run.find("error") is not None
    assert "condition not reached within 0.3s" in (run.find("error").get("message") or "")  # type: ignore[union-attr]
    assert len(stuck_suite.findall("testcase")) == 2  # the run error + its one check

    doc = json.loads((out / "report.json").read_text())
    assert doc["failed"] == 2 and [c["ok"] for c in doc["scenarios"][0]["checks"]] == [True, False, False]
    text = (out / "report.txt").read_text()
    assert "FAIL failing" in text and "expected == 5, actual 0" in text and "0 passed, 2 failed" in text


def test_reports_redact_secrets_in_reasons_and_errors() -> None:
    secret = "s3cr3t-" + "x" * 20
    REDACTOR.add(secret)
    result = ScenarioResult("leaky", "f.jsonnet", "", checks=[
        CheckResult("c1", False, f"token endpoint said {secret}", [f"detail {secret}"])], error=f"boom {secret}")
    buf = io.StringIO()
    report.text([result], buf)
    for rendered in (report.junit([result]), report.as_json([result]), buf.getvalue()):
        assert secret not in rendered
    ElementTree.fromstring(report.junit([result]).encode())  # still well-formed after redaction
