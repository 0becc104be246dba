"""Runner.stop keeps to its timeout as a whole, and a runner that is stopping starts no job."""

from __future__ import annotations

from typing import Any

import pytest

from harness.runner import supervisor
from harness.runner.supervisor import Runner


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


class SlowJob:
    """A job whose stop uses all the time it is given (on the fake clock) and records how much that was."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.given: list[float] = []

    def stop(self, timeout: float = 10.0) -> None:
        self.given.append(timeout)
        self.clock.now += timeout

    def take_report(self) -> dict[str, Any]:
        return {}


@pytest.fixture
def runner() -> Runner:
    # port 9 (discard) on loopback: the last report and the lease release fail at once and are only logged
    return Runner("http://127.0.0.1:9", "key", report_interval_s=0.1)


def test_stop_timeout_is_one_budget_for_every_job(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(supervisor.time, "monotonic", clock.monotonic)
    first, second = SlowJob(clock), SlowJob(clock)
    runner.jobs = {"a": first, "b": second}  # type: ignore[dict-item]
    runner.stop(timeout=4.0)
    assert first.given == [4.0]
    assert second.given == [0.0]  # the first used the whole budget: the second gets what is left, not 4 s more
    assert clock.now == 104.0


def test_a_stopping_runner_starts_no_job(runner: Runner) -> None:
    runner.stop(timeout=0.5)
    runner._start_job("job-1", recovering=True)  # a lease take-over on the reporter thread, just too late
    assert runner.jobs == {} and runner.errors == []  # not started, and Lytics was not even asked
