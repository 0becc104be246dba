"""Quiet when green: a passing fault scenario prints no ERROR or WARNING line; -v brings the detail back.

A CI reader takes an ERROR line for a failure, so the faults a scenario injects on purpose (an outage, a token
endpoint down) must not produce one: the runner logs the remote failures it copes with at INFO and the report
totals them once per scenario.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOUD = re.compile(r"\b(ERROR|WARNING|CRITICAL)\b")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_a_passing_outage_scenario_prints_no_error_or_warning() -> None:
    done = _cli("run", "scenarios/faults/ansira_outage.jsonnet")
    assert done.returncode == 0, done.stdout + done.stderr
    loud = [line for line in (done.stdout + done.stderr).splitlines() if LOUD.search(line)]
    assert not loud, "\n".join(loud)
    # the outage still shows, once, as totals: two job errors and the 503s the runner rode out
    handled = [line for line in done.stdout.splitlines() if "remote failures the runner handled" in line]
    assert len(handled) == 1 and re.search(r"\d+ job errors, \d+ 5xx answers", handled[0]), done.stdout


def test_verbose_shows_each_handled_failure_at_info() -> None:
    done = _cli("-v", "run", "scenarios/faults/token_endpoint_down.jsonnet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"INFO harness\.runner\.job: \[job \w+\] job error \(token: ", done.stderr), done.stderr
    assert not [line for line in done.stderr.splitlines() if LOUD.search(line)], done.stderr
