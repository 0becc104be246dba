"""A load run as JUnit and Markdown for CI: one testcase per threshold, the breach (expected vs actual) first.

A testcase's time is an equal share of the whole `harness load` run (start-up, load phase, drain): thresholds are
judged once, on the figures of the whole run, so no threshold has a time of its own.
"""

from __future__ import annotations

from harness.ci_report import ERROR, FAIL, PASS, Case, Suite, table, unique
from harness.ci_report import junit as render_junit
from harness.load.report import rows
from harness.load.run import LoadResult
from harness.load.thresholds import Verdict

RUN_CASE = "run"  # carries the run's errors, and stands in for the run when the spec has no thresholds


def expected_vs_actual(t: Verdict) -> str:
    """`expected p99 < 250, actual 312 < 250 is false: over by 62 (24.8%)`: the threshold, then what was measured."""
    return f"expected {t.threshold}, actual {t.reason}"


def suite(r: LoadResult, *, started: float | None = None, duration_s: float = 0.0) -> Suite:
    classname = f"load.{r.name}"
    need_run = bool(r.errors) or not r.thresholds
    names = unique([RUN_CASE, *(t.threshold for t in r.thresholds)])
    names = names if need_run else names[1:]
    share = duration_s / max(1, len(names))
    cases: list[Case] = []
    if need_run:
        error = "; ".join(e.splitlines()[0] for e in r.errors) if r.errors else None
        cases.append(Case(names.pop(0), classname, share, r.file, error=error, body="\n\n".join(r.errors)))
    for name, t in zip(names, r.thresholds, strict=True):
        text = None if t.ok else expected_vs_actual(t)
        cases.append(Case(name, classname, share, r.file, failure=text, body=text or ""))
    return Suite(f"load {r.name}", cases, started)


def junit(r: LoadResult, *, started: float | None = None, duration_s: float = 0.0) -> str:
    return render_junit([suite(r, started=started, duration_s=duration_s)])


def markdown(r: LoadResult, *, duration_s: float | None = None) -> str:
    """Thresholds, failing first, with expected vs actual; the run's measures folded below."""
    bad = [t for t in r.thresholds if not t.ok]
    took = f" in {duration_s:.1f} s" if duration_s is not None else ""
    head = (f"### enrichsim load {r.name}: {'PASS' if r.ok else 'FAIL'} — {len(r.thresholds) - len(bad)} of "
            f"{len(r.thresholds)} thresholds held{took}" + (f", {len(r.errors)} errors" if r.errors else ""))
    lines = [head, ""]
    if r.file:
        lines += [f"Scenario `{r.file}`", ""]
    body = [(ERROR, RUN_CASE, e) for e in r.errors]
    body += [(FAIL, t.threshold, expected_vs_actual(t)) for t in bad]
    body += [(PASS, t.threshold, t.reason) for t in r.thresholds if t.ok]
    if body:
        lines += table(("result", "threshold", "expected vs actual"), body)
    else:
        lines.append("No thresholds in the load spec: the run itself passed.")
    lines += ["", "<details><summary>measures</summary>", "",
              *table(("", "client side (locust)", "server side (mocks, runner)"), rows(r)), "", "</details>"]
    return "\n".join(lines) + "\n"
