"""Scenarios run at once, each in a worker process (`harness run -j N`): results in file order, nothing lost, logs
and secrets handled as in one process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from harness.cli import _jobs
from harness.errors import ConfigError
from harness.redact import REDACTOR
from harness.scenario import batch, engine

ROOT = Path(__file__).resolve().parents[2]
LOUD = re.compile(r"\b(ERROR|WARNING|CRITICAL)\b")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_results_come_back_in_file_order_and_workers_log_like_the_parent() -> None:
    # the outage scenario takes longer than quickstart, so it finishes last although it is named first
    files = ["scenarios/faults/token_endpoint_down.jsonnet", "scenarios/quickstart.jsonnet"]
    done = _cli("-v", "run", *files, "-j", "2", "--report", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [r["file"] for r in json.loads(done.stdout)["scenarios"]] == files
    # -v reached the worker: the handled token failures show at INFO, and nothing is louder than that
    assert re.search(r"INFO harness\.runner\.job: \[job \w+\] job error \(token: ", done.stderr), done.stderr
    assert not [line for line in done.stderr.splitlines() if LOUD.search(line)], done.stderr


def test_a_worker_that_dies_fails_its_scenario_visibly() -> None:
    future: Future[batch.Finished] = Future()
    future.set_exception(BrokenProcessPool("A process in the process pool was terminated abruptly"))
    sc = engine.load(ROOT / "scenarios/quickstart.jsonnet")
    end = batch._collect(future, (Path("scenarios/quickstart.jsonnet"), sc))
    assert end.result is not None and not end.result.ok and end.result.name == sc.name
    assert "worker process failed" in (end.result.error or "") and "terminated abruptly" in (end.result.error or "")


def test_the_parent_masks_the_secrets_a_worker_stack_used() -> None:
    sc = engine.load(ROOT / "scenarios/quickstart.jsonnet")
    [end] = batch.run_parallel([(Path("scenarios/quickstart.jsonnet"), sc)], jobs=1, overrides={})
    assert end.result is not None and end.result.ok
    assert len(end.secrets) >= 3, "the worker's API key, admin key and client secret"
    assert set(end.secrets) <= set(REDACTOR.known())
    assert all(REDACTOR(f"x {s} y") == "x *** y" for s in end.secrets)


@pytest.mark.parametrize(("asked", "count", "remote", "expected"), [
    (None, 1, False, 1), (3, 10, False, 3), (8, 2, False, 2), (None, 5, True, 1), (1, 5, True, 1)])
def test_how_many_run_at_once(asked: int | None, count: int, remote: bool, expected: int) -> None:
    assert _jobs(asked, count, remote) == expected


def test_default_is_two_per_core_and_never_more_than_the_scenarios(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch.os, "cpu_count", lambda: 2)
    assert [batch.default_jobs(n) for n in (1, 3, 4, 25)] == [1, 3, 4, 4]


@pytest.mark.parametrize(("asked", "remote", "says"), [(0, False, "--jobs must be 1 or more"),
                                                        (2, True, "--target runs scenarios one at a time")])
def test_bad_jobs_are_refused(asked: int, remote: bool, says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        _jobs(asked, 5, remote)
