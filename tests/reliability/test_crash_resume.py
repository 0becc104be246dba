"""SIGKILL the runner mid-backfill, start another: everyone is enriched, and nobody whose enrichment had landed
is called again. The audience is the durable queue: enriched users have left it, so the new runner's backfill
only finds the rest.

A user the dead runner had in flight (its Ansira call answered, its write-back not yet landed) is still in the
audience and is legitimately called a second time; Ansira upserts by email, so that costs a call, not a user.
At most max_unlanded (2 x worker_count by default) users can be in that state (docs/reliability.md explains
the bound).
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from rel_helpers import cluster, scenario, wait_for, wait_stable

from harness.runner import RunnerOptions

FULL = os.environ.get("RELIABILITY_FULL") == "1"
CASES = [pytest.param(400, 5, 100, 20, id="short")]
if FULL:
    CASES += [pytest.param(5000, 10, 2000, 5, id="full"), pytest.param(2000, 20, 300, 10, id="full-20-workers")]


@pytest.mark.parametrize(("users", "workers", "kill_after", "latency_ms"), CASES)
def test_sigkill_mid_backfill_then_resume(tmp_path: Path, users: int, workers: int, kill_after: int,
                                          latency_ms: int, request: pytest.FixtureRequest) -> None:
    with cluster(tmp_path) as c:
        sc = scenario(users, workers)
        c.start_mocks({**sc.ansira, "latency": {"kind": "fixed", "ms": latency_ms, "operation": "create_user"}})
        first = c.start_runner("runner-1")
        c.configure(sc)
        wait_for(f"{kill_after} successful Ansira calls", lambda: sum(c.successes().values()) >= kill_after,
                 timeout=60)
        first.popen.send_signal(signal.SIGKILL)
        assert first.popen.wait(10) == -signal.SIGKILL
        # calls the dead runner had on the wire still get answered; once the journal settles it is all of them
        reached = set(wait_stable("the journal after the kill", c.successes, timeout=30))

        second = c.start_runner("runner-2")
        wait_for("the source audience to empty", lambda: c.audience_size() == 0, timeout=60 + users / 20)
        assert second.stop(signal.SIGTERM) == 0

        profiles = [p for p in c.profiles() if p.get("email")]
        assert len(profiles) >= users * 0.9  # a few Faker emails repeat and merge
        missing = [p["email"] for p in profiles if not p.get("ansira_uuid")]
        assert not missing, f"users never enriched: {missing[:5]}"

        journal = [e for e in c.journal() if e["operation"] == "create_user" and e.get("email")]
        ok = [e for e in journal if 200 <= e["status"] < 300]
        calls = Counter(e["email"] for e in ok)
        assert kill_after <= len(reached) < len(profiles), "the kill must land mid-backfill"
        assert set(calls) == {p["email"].lower() for p in profiles}
        twice = {e: n for e, n in calls.items() if n > 1}
        assert all(n == 2 for n in twice.values()), twice
        bound = RunnerOptions().unlanded_limit(workers)
        assert len(twice) <= bound, f"{len(twice)} users called twice; at most {bound} can have been in flight"
        assert set(twice) <= reached, "only users the first runner had reached may be called twice"

        landed = c.landed_at()
        late = [e for e in journal if e["email"] in landed and e["ts"] > landed[e["email"]]]
        assert not late, f"called after their enrichment landed: {late[:5]}"

        resumed = [o for o in c.outcomes("runner-2") if o["status"] == "enriched"]
        assert all(o["trigger"] == "backfill" for o in resumed)
        # the second runner enriched exactly the users the first never finished: the unreached and the in-flight
        assert len(resumed) == len(profiles) - len(reached) + len(twice)
        for key, value in {"users": len(profiles), "answered_before_kill": len(reached), "called_twice": len(twice),
                           "resumed": len(resumed)}.items():
            request.node.user_properties.append((key, value))  # junit (xunit1) and report logs
