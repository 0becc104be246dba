"""The Retry-After check both ways, on scenarios/rate_limit_backfill.jsonnet (ten workers, 429s every second).

A runner that ignores Retry-After (the test-only `ignore_retry_after` option) must fail the check in every run;
the real runner must pass it in every run, also with two busy-loop processes competing for the CPU (what made
the old journal-only check fail 1 run in 11). `make test` runs a few; RELIABILITY_FULL=1 runs 30 in a row.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.scenario.engine import ScenarioRun, load

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "rate_limit_backfill.jsonnet"
FULL = os.environ.get("RELIABILITY_FULL") == "1"
RUNS = 30 if FULL else 3
CHECK = "every Retry-After honoured"


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """Two processes spinning for the length of the test: the runner's threads wait for a core."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
        for p in spinners:
            p.wait(10)


def _run(**overrides: object) -> tuple[bool, str, list[str]]:
    """The scenario's retry_after_respected result, and every failed check of the run (for the message)."""
    result = ScenarioRun(load(SCENARIO), file=str(SCENARIO), runner_overrides=dict(overrides)).execute()
    assert result.error is None, result.error
    check = next(c for c in result.checks if c.name == CHECK)
    failed = [f"{c.name}: {c.reason} {c.details[:3]}" for c in result.checks if not c.ok]
    return check.ok, f"{check.reason} {check.details}", failed


def test_a_runner_that_ignores_retry_after_fails_the_check_every_time() -> None:
    """Retrying at once is all that is wrong with it (attempts unbounded, so everyone still gets through)."""
    for i in range(2 if not FULL else 5):
        ok, reason, failed = _run(ignore_retry_after=True, max_attempts_per_user=100_000)
        assert not ok, f"run {i + 1}: a runner that ignores Retry-After passed: {reason}"
        assert "after the runner received the 429" in reason, reason  # judged by send times, not arrivals
        assert [f.split(":")[0] for f in failed] == [CHECK], failed  # and nothing else failed


def test_the_real_runner_passes_run_after_run_under_cpu_contention(busy_cpu: None) -> None:
    for i in range(RUNS):
        ok, reason, failed = _run()
        assert ok and not failed, f"run {i + 1} of {RUNS}: " + "\n".join(failed)
        counts = re.search(r"inside (\d+) Retry-After windows \((\d+) timed", reason)
        # every window was judged by the runner's own send and receive times
        assert counts is not None and 0 < int(counts[1]) == int(counts[2]), reason
