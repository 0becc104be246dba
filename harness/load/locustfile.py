"""The locustfile `harness load` runs: users that drive mock Lytics' collect endpoint at a target arrival rate.

Runs only inside locust's own process (gevent). Configuration comes from the environment, so the same file
serves a local run, a `--master` and any number of `--worker`s:
  ENRICHSIM_LOAD_CONFIG   JSON: {"stages": [[duration_s, rate], ...], "start_rate", "users", "events", "seed",
                          "summary_path"} (written by harness.load.run; no secrets)
  ENRICHSIM_LYTICS_API_KEY  the mock Lytics API key (never on the command line)
The master (or the local runner) writes `summary_path`: locust's stats joined with the pacing counters the
workers report (arrivals dropped, events sent by kind).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import time
from collections import Counter
from typing import Any

from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from harness.load.shape import ArrivalPlan, Pacer


def _config() -> dict[str, Any]:
    raw = os.environ.get("ENRICHSIM_LOAD_CONFIG")
    if not raw:
        raise RuntimeError("ENRICHSIM_LOAD_CONFIG is not set: run this locustfile through `harness load` "
                           "or export the JSON it documents")
    return json.loads(raw)


CONFIG = _config()
EV = CONFIG.get("events") or {}
BATCH = int(EV.get("batch", 1))
# the plan counts requests: events/s divided by the events each request carries
PLAN = ArrivalPlan([(d, r / BATCH) for d, r in CONFIG["stages"]], CONFIG.get("start_rate", 0.0) / BATCH)
USERS = int(CONFIG["users"])
STREAM = EV.get("stream", "web")
UPDATE_RATIO = float(EV.get("update_ratio", 0.0))
DOMAIN = EV.get("email_domain", "load.example.com")
EXTRA = dict(EV.get("extra") or {})
API_KEY = os.environ.get("ENRICHSIM_LYTICS_API_KEY", "")
RUN = secrets.token_hex(3)  # per process: emails stay unique across workers and repeated runs
GRACE_S = 2.0  # the shape outlives the plan this long, so the last requests finish

FIRST = ["Ada", "Bo", "Chen", "Dana", "Emil", "Fatma", "Gus", "Hana", "Ivo", "Jun", "Kofi", "Lea"]
LAST = ["Ng", "Okafor", "Petit", "Quist", "Rossi", "Sato", "Tran", "Urban", "Vega", "Weiss"]
CITIES = ["Austin", "Berlin", "Cork", "Dakar", "Espoo", "Fukuoka", "Graz", "Hue", "Izmir", "Jaipur"]

counters: Counter[str] = Counter()
workers_seen: set[str] = set()
_user_numbers = itertools.count()
_t0: list[float] = []


class CollectUser(FastHttpUser):
    """One share of the arrival plan; each arrival is one collect request of `batch` events."""

    wait_time = constant(0)

    def on_start(self) -> None:
        runner = self.environment.runner
        n = next(_user_numbers)
        self.rng = random.Random(f"{CONFIG.get('seed', 0)}-{RUN}-{n}")
        if isinstance(runner, WorkerRunner):  # users on other workers share the index space: spread at random
            index, phase = self.rng.randrange(USERS), self.rng.random()
        else:
            index, phase = n, self.rng.random()
        self.pacer = Pacer(PLAN, users=USERS, index=index, phase=phase)
        self.tag = f"{RUN}-{n}"
        self.sent = 0
        self.emails: list[str] = []
        if not _t0:
            _t0.append(time.monotonic())

    @task
    def arrive(self) -> None:
        dropped_before = self.pacer.dropped
        delay = self.pacer.next_due(time.monotonic() - _t0[0])
        counters["dropped_arrivals"] += (self.pacer.dropped - dropped_before) * BATCH
        if delay is None:
            raise StopUser()
        if delay > 0:
            time.sleep(delay)  # gevent-patched: yields to the other users
        update = bool(self.emails) and self.rng.random() < UPDATE_RATIO
        batch = [self._update() if update else self._new_user() for _ in range(BATCH)]
        kind = "update" if update else "new_user"
        with self.client.post(f"/collect/json/{STREAM}", json=batch, headers={"Authorization": API_KEY},
                              name=f"collect {kind}", catch_response=True) as resp:
            if resp.status_code == 200:
                resp.success()
                counters["events_sent"] += len(batch)
                counters["updates_sent" if update else "new_users_sent"] += len(batch)
                if not update:
                    self.emails.extend(e["email"] for e in batch)
                    del self.emails[:-50]
            else:
                resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:200]}")
        self.pacer.sent()

    def _new_user(self) -> dict[str, Any]:
        self.sent += 1
        return {"email": f"lt-{self.tag}-{self.sent}@{DOMAIN}", "user_id": f"lt-{self.tag}-{self.sent}",
                "first_name": self.rng.choice(FIRST), "last_name": self.rng.choice(LAST),
                "city": self.rng.choice(CITIES), **EXTRA}

    def _update(self) -> dict[str, Any]:
        return {"email": self.rng.choice(self.emails), "city": self.rng.choice(CITIES)}


class PlanShape(LoadTestShape):
    """Hold the user pool for the plan's duration, then stop once the users have finished (or after a grace period)."""

    def tick(self) -> tuple[int, float] | None:
        t = self.get_run_time()
        idle = self.runner is None or self.runner.user_count == 0
        if t >= PLAN.duration_s and (idle or t >= PLAN.duration_s + GRACE_S):
            return None  # every user sent its last arrival, or the stragglers had their grace period
        return USERS, float(max(100, USERS * 10))


@events.report_to_master.add_listener
def _to_master(client_id: str, data: dict[str, Any]) -> None:
    data["enrichsim"] = dict(counters)
    counters.clear()


@events.worker_report.add_listener
def _from_worker(client_id: str, data: dict[str, Any]) -> None:
    workers_seen.add(client_id)
    counters.update(data.get("enrichsim") or {})


@events.quitting.add_listener
def _write_summary(environment: Any, **_kw: Any) -> None:
    path = CONFIG.get("summary_path")
    if not path or isinstance(environment.runner, WorkerRunner):
        return
    stats = environment.stats
    doc = {
        "mode": "master" if isinstance(environment.runner, MasterRunner) else "local",
        "workers": len(workers_seen),
        "users": USERS, "plan_events": PLAN.total_arrivals * BATCH, "plan_duration_s": PLAN.duration_s,
        "counters": dict(counters),
        "total": _entry(stats.total),
        "entries": [_entry(e) for e in stats.entries.values()],
        "errors": [{"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
                   for e in stats.errors.values()],
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)


def _entry(e: Any) -> dict[str, Any]:
    n = e.num_requests

    def pct(q: float) -> float | None:
        return float(e.get_response_time_percentile(q)) if n else None

    return {"name": e.name, "method": e.method, "requests": n, "failures": e.num_failures,
            "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "max_ms": float(e.max_response_time) if n else None, "avg_ms": e.avg_response_time if n else None,
            "first_ts": e.start_time, "last_ts": e.last_request_timestamp}
