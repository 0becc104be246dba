"""SIGTERM / SIGINT to `harness runner` mid-run: it lets in-flight calls finish, flushes the write-back batch and
exits 0 within a bound. Every user Ansira answered with a 2xx has its write-back landed (ansira_uuid on the
profile): nobody is left half-done. Users still queued stay in the audience for the next runner.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from rel_helpers import cluster, scenario, wait_for

STOP_BOUND_S = 5.0  # in-flight calls take latency_ms; the rest is joining threads and one write-back post


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_finishes_in_flight_work_and_exits_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    users, workers = 400, 10
    with cluster(tmp_path) as c:
        sc = scenario(users, workers)
        # 150 ms per call: at any moment about `workers` calls are in flight, so the stop always catches some
        c.start_mocks({**sc.ansira, "latency": {"kind": "fixed", "ms": 150, "operation": "create_user"}})
        runner = c.start_runner("runner", {"writeback_batch": 100})
        c.configure(sc)
        wait_for("60 successful Ansira calls", lambda: sum(c.successes().values()) >= 60, timeout=60)
        runner.popen.send_signal(sig)
        signalled = time.monotonic()
        code = runner.popen.wait(STOP_BOUND_S + 10)
        took = time.monotonic() - signalled
        assert code == 0, runner.log.read_text()[-3000:]
        assert took < STOP_BOUND_S, f"stopping took {took:.2f}s"

        answered = c.successes()
        assert 60 <= sum(answered.values()) < users, "the stop must land mid-run"
        by_email = {p["email"].lower(): p for p in c.profiles() if p.get("email")}
        half_done = sorted(e for e in answered if not by_email[e].get("ansira_uuid"))
        assert not half_done, f"{len(half_done)} users answered by Ansira without their write-back: {half_done[:5]}"

        outcomes = {o["identity"]["email"].lower(): o for o in c.outcomes("runner")}
        assert {e for e, o in outcomes.items() if o["status"] == "enriched"} == set(answered)
        assert c.audience_size() == len(by_email) - len(answered), "everyone not enriched is still queued in Lytics"
