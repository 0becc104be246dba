"""One runner per job: two runners started at once against the same Lytics; the job's lease lets one work it,
the other is refused with a clear message, and every user is called once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rel_helpers import cluster, scenario, wait_for

REFUSED = "one runner per job"


def test_second_runner_for_the_same_job_is_refused(tmp_path: Path) -> None:
    users = 300
    with cluster(tmp_path) as c:
        sc = scenario(users, 5)
        c.start_mocks({**sc.ansira, "latency": {"kind": "fixed", "ms": 10, "operation": "create_user"}})
        runners = [c.start_runner("runner-1"), c.start_runner("runner-2")]
        c.configure(sc)
        wait_for("the source audience to empty", lambda: c.audience_size() == 0, timeout=60 + users / 20)
        assert [r.stop() for r in runners] == [0, 0]

        refused = [r.name for r in runners if REFUSED in r.log.read_text()]
        assert len(refused) == 1, f"exactly one runner must be refused, got {refused}"
        worker = next(r.name for r in runners if r.name not in refused)
        assert "runner" in next(line for line in (tmp_path / f"{refused[0]}.log").read_text().splitlines()
                                if REFUSED in line)
        assert c.outcomes(refused[0]) == []
        enriched = [o for o in c.outcomes(worker) if o["status"] == "enriched"]

        profiles = [p for p in c.profiles() if p.get("email")]
        calls = Counter(e["email"] for e in c.journal() if e["operation"] == "create_user" and e.get("email"))
        assert set(calls) == {p["email"].lower() for p in profiles}
        assert max(calls.values()) == 1, {e: n for e, n in calls.items() if n > 1}
        assert len(enriched) == len(profiles)
