"""Quiet when green: a passing fault scenario prints no ERROR or WARNING line; -v brings the detail back.

A CI reader takes an ERROR line for a failure, so the faults a scenario injects on purpose (an outage, a token
endpoint down) must not produce one: the runner logs the remote failures it copes with at INFO and the report
totals them once per scenario.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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



def test_a_job_failure_the_scenario_expects_is_info() -> None:
    """wrong_secret.jsonnet checks that its job ends `failed`: that is the run going as planned, so no ERROR line."""
    done = _cli("-v", "run", "scenarios/wrong_secret.jsonnet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"INFO harness\.runner\.job: \[job \w+\] job failed: ", done.stderr), done.stderr
    assert not [line for line in done.stderr.splitlines() if LOUD.search(line)], done.stderr


def test_a_job_failure_nobody_expected_is_error(run_variant: Callable[[str], Any],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """The same failure with the expectation switched off (`job_failure_expected: false`) is an ERROR again."""
    with caplog.at_level(logging.INFO, logger="harness.runner.job"):
        run_variant("""a.base { name: 'unexpected failure',
          runner: { job_backoff_s: 0.05, job_errors_before_failed: 2, backoff_base_s: 0.001, backoff_cap_s: 0.01,
                    job_failure_expected: false },
          lytics+: { auths: [a.auth { config+: { client_secret: 'not-the-secret-ansira-issued' } }] },
          profiles+: { generate: { count: 5 } },
          steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
                  { wait_until: { idle: false, job_status: { ansira_enrichment: 'failed' }, timeout_s: 30 } }],
          checks: [{ kind: 'job_status', job: 'ansira_enrichment', status: 'failed' }] }""")
    failed = [r for r in caplog.records if "job failed: " in r.getMessage()]
    assert [r.levelname for r in failed] == ["ERROR"], [(r.levelname, r.getMessage()) for r in failed]
