"""`harness run` reports for CI: JUnit a dashboard keeps apart (unique names, time, file, counts that match) and a
Markdown step summary with failures first. The JUnit is checked against the JUnit schema's structure
(tests/junit_schema.py) as well as for what this project promises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from harness.ci_report import unique
from harness.cli import main
from harness.scenario import report
from harness.scenario.checks import CheckResult
from harness.scenario.engine import ScenarioResult
from tests.junit_schema import validate

# three unnamed checks of one kind (the third fails), one named check of the same kind, one of another kind
THREE_CALLS = """a.base { name: 'three_calls', profiles+: { generate: { count: 8 } },
  checks: [{ kind: 'ansira_calls', total: { min: 1 } },
           { kind: 'ansira_calls', status: { '201': { min: 1 } } },
           { kind: 'ansira_calls', total: { equals: 999 } },
           { kind: 'ansira_calls', name: 'given name', total: { max: 10000 } },
           { kind: 'token_fetches', count: { min: 1 } }] }"""


def _cases(xml: str) -> list[ElementTree.Element]:
    return ElementTree.fromstring(xml.encode()).findall("testsuite/testcase")


def test_three_unnamed_checks_of_one_kind_are_three_testcases(scenario_file: Callable[..., Path], tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    f = scenario_file(THREE_CALLS, name="three_calls")
    out = tmp_path / "out"
    assert main(["run", str(f), "--report", "junit", "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert validate(printed) == []
    assert printed == (out / "junit.xml").read_text()

    root = ElementTree.fromstring(printed.encode())
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "ansira_calls[0]: Ansira create_user calls", "ansira_calls[1]: Ansira create_user calls",
        "ansira_calls[2]: Ansira create_user calls", "given name", "token_fetches[0]: token fetches"]
    assert {c.get("classname") for c in cases} == {"three_calls"} and {c.get("file") for c in cases} == {str(f)}
    times = [float(c.get("time") or "nan") for c in cases]
    assert all(t > 0 for t in times), times  # each carries its share of the run
    assert abs(float(suite.get("time") or 0) - sum(times)) < 0.01
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "1", "0")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "0")
    assert suite.get("timestamp") and suite.get("timestamp", "").startswith("20")

    failing = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["ansira_calls[2]: Ansira create_user calls"]
    failure = failing[0].find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith("create_user calls: expected == 999, actual "), message
    assert (failure.text or "").startswith(message)

    md = (out / "summary.md").read_text()
    lines = md.splitlines()
    assert lines[0].startswith("### enrichsim run: FAIL — 0 of 1 scenarios passed, 4 of 5 checks passed")
    rows = [ln for ln in lines if ln.startswith("| ") and "---" not in ln][1:]  # after the header row
    assert rows[0].startswith("| ❌ FAIL | three_calls | ansira_calls[2]: Ansira create_user calls | "
                              "create_user calls: expected == 999, actual ")
    assert rows[1].startswith("| ✅ pass | three_calls | 4 of 5 checks passed |")
    assert len(rows) == 2


def test_the_same_names_come_back_on_every_run() -> None:
    """Stable: the names depend on the checks' kinds and order only, not on results or timings."""
    def run(ok: bool) -> list[str]:
        checks = [CheckResult("Ansira create_user calls", ok, "r", kind="ansira_calls", duration_s=0.5),
                  CheckResult("mine", True, "r", kind="ansira_calls", named=True),
                  CheckResult("Ansira create_user calls", True, "r", kind="ansira_calls")]
        return [c.get("name") or "" for c in _cases(report.junit([ScenarioResult("s", "s.jsonnet", "", checks)]))]

    assert run(True) == run(False) == ["ansira_calls[0]: Ansira create_user calls", "mine",
                                       "ansira_calls[1]: Ansira create_user calls"]


def test_given_names_that_repeat_and_a_check_called_run_stay_apart() -> None:
    checks = [CheckResult("same", True, "a", kind="outcomes", named=True),
              CheckResult("same", False, "expected 1, actual 2", kind="outcomes", named=True),
              CheckResult("run", True, "c", kind="duration", named=True)]
    xml = report.junit([ScenarioResult("s", "s.jsonnet", "", checks, duration_s=3.0, error="steps[2]: timed out")])
    assert validate(xml) == []
    cases = _cases(xml)
    assert [c.get("name") for c in cases] == ["run", "same", "same #2", "run #2"]
    error = cases[0].find("error")
    assert error is not None and error.get("message") == "steps[2]: timed out"
    assert [c.get("time") for c in cases] == ["0.750"] * 4  # the run's 3 s shared by the four testcases
    assert unique(["x", "x", "x #2"]) == ["x", "x #2", "x #2 #2"]


def test_two_scenarios_with_one_name_stay_apart() -> None:
    twins = [ScenarioResult("variant", f"{d}/variant.jsonnet", "", [CheckResult("c", True, "r", kind="outcomes")])
             for d in ("a", "b")]
    xml = report.junit(twins)
    assert validate(xml) == []
    suites = ElementTree.fromstring(xml.encode()).findall("testsuite")
    assert [s.get("name") for s in suites] == ["variant", "variant #2"]
    assert [s.find("testcase").get("classname") for s in suites] == ["variant", "variant #2"]  # type: ignore[union-attr]
    same = xml.replace('"variant #2"', '"variant"')
    assert validate(same) == ["testcase 'outcomes[0]: c' (classname 'variant') appears in 2 suites"]


def test_text_xml_cannot_carry_is_replaced_and_long_messages_keep_their_start() -> None:
    reason = "expected 1, actual 2 \x1b[31mred\x1b[0m \x00" + "y" * 5000
    xml = report.junit([ScenarioResult("s", None, "", [CheckResult("c", False, reason, ["detail \x07"])])])
    assert validate(xml) == []
    failure = _cases(xml)[0].find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith("expected 1, actual 2 red ?") and len(message) <= 1000
    assert "y" * 5000 in (failure.text or "") and "detail ?" in (failure.text or "")


def test_a_scenario_that_cannot_load_is_an_error_testcase(scenario_file: Callable[..., Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    good = scenario_file("a.base { name: 'good', checks: [a.checks.all_enriched] }", name="good")
    bad = scenario_file("a.base { name: 'bad', checkz: [] }", name="bad")
    out = tmp_path / "out"
    assert main(["run", str(good), str(bad), "--report", "junit", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "checkz" in captured.err  # people still read the error on stderr
    assert validate(captured.out) == []
    suite = ElementTree.fromstring(captured.out.encode()).find("testsuite")
    assert suite is not None and suite.get("name") == "bad" and suite.get("errors") == "1"
    case = suite.find("testcase")
    assert case is not None and case.get("name") == "run" and case.get("file") == str(bad)
    error = case.find("error")
    assert error is not None and "checkz" in (error.get("message") or "")
    assert "⚠️ ERROR | bad" in (out / "summary.md").read_text()


def test_a_scenario_that_cannot_run_is_an_error_and_the_others_still_run(
        scenario_file: Callable[..., Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENRICHSIM_UNSET_SECRET", raising=False)
    unset = scenario_file("""a.base { name: 'unset', profiles+: { generate: { count: 3 } },
      lytics+: { auths: [a.auth { config+: { client_secret: '{{env:ENRICHSIM_UNSET_SECRET}}' } }] },
      checks: [a.checks.all_enriched] }""", name="unset")
    good = scenario_file("a.base { name: 'good', profiles+: { generate: { count: 3 } }, "
                         "checks: [a.checks.all_enriched] }", name="good")
    assert main(["run", str(unset), str(good), "--report", "markdown"]) == 2
    captured = capsys.readouterr()
    assert "ENRICHSIM_UNSET_SECRET is not set" in captured.err
    md = captured.out
    assert md.startswith("### enrichsim run: FAIL — 1 of 2 scenarios passed")
    first_row = md.splitlines()[4]
    assert first_row.startswith("| ⚠️ ERROR | unset (") and "ENRICHSIM_UNSET_SECRET is not set" in first_row
    assert "| ✅ pass | good | 1 check passed |" in md


def test_the_validator_refuses_what_dashboards_mishandle() -> None:
    """What the old report did (twin names, `tests` not counting the error case) and what the schema forbids."""
    bad = """<testsuites tests="3"><testsuite name="s" tests="1" failures="0" errors="1" time="x">
      <testcase classname="s" name="run"><error message="m"/></testcase>
      <testcase classname="s" name="Ansira create_user calls" time="0.1"/>
      <testcase classname="s" name="Ansira create_user calls" time="0.1"><failure message="m" why="?"/></testcase>
      <testcase name="no class"/><bogus/></testsuite></testsuites>"""
    problems = "\n".join(validate(bad))
    for needle in ("testsuites: tests=3 but the suites hold 4", "tests=1 but it holds 4", "failures=0 but it holds 1",
                   "time='x' is not a non-negative decimal", "'Ansira create_user calls' (classname 's') is not unique",
                   "required attribute 'classname' is missing", "unexpected child <bogus>",
                   "<failure> attribute 'why' is not in the JUnit schema"):
        assert needle in problems, problems
    assert validate("<testsuite name='s' tests='1' time='1.000'><testcase classname='c' name='n' time='0.2'/>"
                    "</testsuite>") == ["testsuite 's': time=1.000 but its testcases add up to 0.200"]
    assert validate("<testsuite") and validate("<junit/>") == ["root element is <junit>, expected <testsuites> or "
                                                               "<testsuite>"]
