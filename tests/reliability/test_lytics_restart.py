"""Mock Lytics keeps its state in memory. Kill it mid-backfill and start a fresh one on the same port: the runner
notices the new instance, drops the job that no longer exists (no more calls for it, nothing counted as enriched
that did not land where the job lives), resynchronises and drains a job set up again on the new Lytics."""

from __future__ import annotations

from pathlib import Path

from rel_helpers import cluster, scenario, wait_for, wait_stable

from harness.runner import RunnerOptions

RESTARTED = "restarted (instance"


def _uuids(c: object) -> set[str]:
    """Profile ids that carry an ansira_uuid: the users whose enrichment really landed."""
    return {p["_id"] for p in c.profiles() if p.get("ansira_uuid")}  # type: ignore[attr-defined]


def test_lytics_restart_mid_backfill(tmp_path: Path) -> None:
    users, workers = 400, 5
    with cluster(tmp_path) as c:
        sc = scenario(users, workers)
        c.start_mocks({**sc.ansira, "latency": {"kind": "fixed", "ms": 20, "operation": "create_user"}})
        runner = c.start_runner("runner")
        c.configure(sc)
        wait_for("100 successful Ansira calls", lambda: sum(c.successes().values()) >= 100, timeout=60)
        # freeze write-backs so that what landed on the old instance can be read exactly before it dies
        c.lytics.post("/__admin/faults", json={"collect": {"status": 503, "duration_s": 3600}}).raise_for_status()
        landed_old = wait_stable("write-backs on the old instance", lambda: _uuids(c), timeout=30)
        c.restart_lytics()

        wait_for("the runner to notice the restart", lambda: RESTARTED in runner.log.read_text(), timeout=30)
        called = wait_stable("Ansira calls after the restart", lambda: sum(c.successes().values()), timeout=30)
        bound = RunnerOptions().unlanded_limit(workers)
        assert called <= len(landed_old) + bound, "the runner kept calling users of a job that no longer exists"
        assert c.lytics.get("/__admin/state").json()["data"]["profiles"] == 0  # the restart really lost the state

        c.configure(sc)  # the same set-up again, on the new instance
        wait_for("the new audience to empty", lambda: c.audience_size() == 0, timeout=60 + users / 20)
        assert runner.stop() == 0

        new_job = c.lytics.get("/v2/job").json()["data"][0]["id"]
        by_job: dict[str, set[str]] = {}
        for o in c.outcomes("runner"):
            if o["status"] == "enriched":
                by_job.setdefault(o["job_id"], set()).add(o["user"])
        old_jobs = set(by_job) - {new_job}
        assert len(old_jobs) <= 1
        old_enriched = by_job[old_jobs.pop()] if old_jobs else set()
        assert old_enriched == landed_old, "enriched on the old instance must be exactly what landed there"
        profiles = [p for p in c.profiles() if p.get("email")]
        assert by_job[new_job] == _uuids(c) == {p["_id"] for p in profiles}
