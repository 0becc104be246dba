"""SIGTERM / SIGINT to `harness runner` mid-run: it lets in-flight calls finish, flushes the write-back batch and
exits 0 within a bound. Every user Ansira answered with a 2xx has its write-back landed (ansira_uuid on the
profile): nobody is left half-done. Users still queued stay in the audience for the next runner, which is why
the test stops one runner with SIGTERM, resumes with a second and stops that one with SIGINT.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from rel_helpers import Cluster, cluster, scenario, wait_for

STOP_BOUND_S = 5.0  # in-flight calls take 150 ms; the rest is joining threads and one write-back post


def stop_mid_run(c: Cluster, name: str, sig: signal.Signals, users_with_email: int,
                 request: pytest.FixtureRequest) -> int:
    """Start a runner, stop it with `sig` after 40 more successful calls; return the successes so far."""
    start = sum(c.successes().values())
    runner = c.start_runner(name, {"writeback_batch": 100})
    wait_for("40 more successful Ansira calls", lambda: sum(c.successes().values()) >= start + 40, timeout=60)
    runner.popen.send_signal(sig)
    signalled = time.monotonic()
    code = runner.popen.wait(STOP_BOUND_S + 10)
    took = time.monotonic() - signalled
    assert code == 0, runner.log.read_text()[-3000:]
    assert took < STOP_BOUND_S, f"{name}: stopping took {took:.2f}s"
    request.node.user_properties.append((f"{name}_stop_s", round(took, 3)))

    answered = c.successes()
    assert sum(answered.values()) < users_with_email, "the stop must land mid-run"
    by_email = {p["email"].lower(): p for p in c.profiles() if p.get("email")}
    half_done = sorted(e for e in answered if not by_email[e].get("ansira_uuid"))
    assert not half_done, f"{name}: {len(half_done)} users answered without their write-back: {half_done[:5]}"
    enriched = {o["identity"]["email"].lower() for o in c.outcomes(name) if o["status"] == "enriched"}
    assert enriched and enriched <= set(answered)
    assert c.audience_size() == len(by_email) - len(answered), "everyone not enriched is still queued in Lytics"
    return sum(answered.values())


def test_stop_signals_finish_in_flight_work_and_exit_cleanly(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    users, workers = 600, 10
    with cluster(tmp_path) as c:
        sc = scenario(users, workers)
        # 150 ms per call: at any moment about `workers` calls are in flight, so a stop always catches some
        c.start_mocks({**sc.ansira, "latency": {"kind": "fixed", "ms": 150, "operation": "create_user"}})
        c.configure(sc)
        with_email = sum(1 for p in c.profiles() if p.get("email"))
        first = stop_mid_run(c, "runner-1", signal.SIGTERM, with_email, request)
        second = stop_mid_run(c, "runner-2", signal.SIGINT, with_email, request)
        assert second > first
        twice = [e for e, n in c.successes().items() if n > 1]
        assert not twice, f"a graceful stop leaves nobody to call again: {twice[:5]}"


def test_sigusr1_prints_every_thread_and_the_runner_goes_on(tmp_path: Path) -> None:
    """What the helpers take from a process that did not stop in time, before killing it: its threads' stacks."""
    with cluster(tmp_path) as c:
        c.start_mocks(scenario(0, 1).ansira)
        runner = c.start_runner("runner-1")
        dump = runner.stacks()
        assert "Thread 0x" in dump and "Current thread" in dump
        assert "in _reporter" in dump and "in _main" in dump, dump[-3000:]  # the runner's own threads, by function
        assert runner.popen.poll() is None, "SIGUSR1 must not stop it"
        assert runner.stop() == 0
