"""Scenario runs as JUnit and Markdown for CI: one testcase per check, named uniquely and stably.

A check the scenario named keeps its name; an unnamed one is `kind[i]: default name`, i counting checks of that
kind in the scenario, so three unnamed `ansira_calls` checks are three testcases and adding a check of another kind
renames none. A testcase's time is the check's own evaluation plus an equal share of the scenario's run (set-up,
steps, waiting), so a suite's testcases add up to the scenario's wall time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from harness.ci_report import ERROR, FAIL, PASS, Case, Suite, table, unique
from harness.ci_report import junit as render_junit
from harness.scenario.checks import CheckResult
from harness.scenario.engine import ScenarioResult

RUN_CASE = "run"  # the testcase a scenario that could not run (or did not finish) reports its error under


def case_names(checks: Sequence[CheckResult]) -> list[str]:
    seen: Counter[str] = Counter()
    names: list[str] = []
    for c in checks:
        if c.named or not c.kind:
            names.append(c.name)
            continue
        names.append(f"{c.kind}[{seen[c.kind]}]: {c.name}")
        seen[c.kind] += 1
    return unique(names)


def failure_text(c: CheckResult) -> str:
    """Expected vs actual first (the check's reason), the offenders after."""
    return "\n".join([c.reason, *(f"  - {d}" for d in c.details)])


def suite(r: ScenarioResult, name: str | None = None) -> Suite:
    """`name`: the suite name and classname when r.name is taken by another scenario of the same run."""
    classname = name or r.name
    names = case_names(r.checks)
    if r.error is not None:
        names = unique([RUN_CASE, *names])[1:]  # a check called "run" must not collide with the error case
    n_cases = len(r.checks) + (r.error is not None)
    share = r.duration_s / n_cases if n_cases else 0.0
    cases: list[Case] = []
    if r.error is not None:
        cases.append(Case(RUN_CASE, classname, share, r.file, error=r.error, body=r.error))
    for name, c in zip(names, r.checks, strict=True):
        cases.append(Case(name, classname, share + c.duration_s, r.file,
                          failure=None if c.ok else c.reason, body="" if c.ok else failure_text(c)))
    return Suite(classname, cases, r.started_at)


def junit(results: Sequence[ScenarioResult]) -> str:
    """Two scenario files with one `name` (two variants both called `variant`) become `variant` and `variant #2`,
    so their testcases stay apart on a dashboard."""
    return render_junit([suite(r, name) for r, name in zip(results, unique(r.name for r in results), strict=True)])


def not_run(file: str | None, message: str) -> ScenarioResult:
    """A scenario file that could not be loaded or run: an <error> testcase in the reports, not a missing one."""
    return ScenarioResult(Path(file).stem if file else "scenario", file, "", error=message)


def _checks(n: int) -> str:
    return "1 check" if n == 1 else f"{n} checks"


def markdown(results: Sequence[ScenarioResult]) -> str:
    """A compact summary for a CI step summary: failures and errors first, with expected vs actual."""
    suites = [(r, suite(r)) for r in results]
    n_checks = sum(len(r.checks) for r in results)
    failed_checks = sum(not c.ok for r in results for c in r.checks)
    errors = sum(r.error is not None for r in results)
    bad = sum(not r.ok for r in results)
    verdict = "PASS" if bad == 0 else "FAIL"
    head = (f"### enrichsim run: {verdict} — {len(results) - bad} of {len(results)} scenarios passed, "
            f"{n_checks - failed_checks} of {_checks(n_checks)} passed"
            + (f", {errors} could not run" if errors else ""))
    rows: list[tuple[str, str, str, str, str]] = []
    for r, s in suites:
        for case in s.cases:
            if case.error is not None:
                rows.append((ERROR, f"{r.name} ({r.file})" if r.file else r.name, case.name, case.error,
                             f"{case.time_s:.2f} s"))
            elif case.failure is not None:
                rows.append((FAIL, r.name, case.name, case.failure, f"{case.time_s:.2f} s"))
    for r, _ in suites:
        passed = sum(c.ok for c in r.checks)
        if not passed and not (r.ok and not r.checks):
            continue
        what = ("no checks" if not r.checks else f"{_checks(passed)} passed" if r.ok
                else f"{passed} of {_checks(len(r.checks))} passed")
        rows.append((PASS, r.name, what, "", f"{r.duration_s:.2f} s"))
    lines = [head, "", *table(("result", "scenario", "check", "expected vs actual", "time"), rows)]
    files = sorted({r.file for r in results if r.file and not r.ok})
    if files:
        lines += ["", "Failing scenario files: " + ", ".join(f"`{f}`" for f in files)]
    return "\n".join(lines) + "\n"
