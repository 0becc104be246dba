"""Micro figures behind `make bench`'s end-to-end run (harness.load.bench): the HTTP servers the mocks can use,
and the load harness's own analysis over journals and profile lists of a 100,000-user run.

The server benchmarks share one process (and one GIL) between client and server, so they give per-request
latency on keep-alive vs close-per-request connections, not capacity; figure 1 of docs/performance.md is
measured across two processes.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from harness.load.metrics import Raw, compute, retry_after_violations
from harness.load.shape import ArrivalPlan
from harness.load.thresholds import evaluate, parse
from harness.servers import server_thread
from mock_ansira import create_app

CLIENT = {"client_id": "bench", "client_secret": "bench-secret-0123456789"}
BEHAVIOUR = {"seed": 1, "clients": [CLIENT], "source_codes": ["BENCH"], "known_users": {"count": 0}}
T0 = 1_700_000_000.0


@pytest.fixture(scope="module", params=["werkzeug", "werkzeug-keepalive", "waitress", "lean"])
def ansira(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    srv = server_thread(create_app({"BEHAVIOUR": BEHAVIOUR}), server=request.param, name="bench-ansira")
    srv.start(ready_path="/__admin/health")
    yield request.param, srv
    srv.stop()


def test_bench_ansira_upsert_per_server(benchmark: Any, ansira: tuple[str, Any]) -> None:
    name, srv = ansira
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    conn.request("POST", "/service/oauth/v2/token?grant_type=client_credentials&client_id=bench"
                         f"&client_secret={CLIENT['client_secret']}")
    token = json.loads(conn.getresponse().read())["access_token"]
    emails = itertools.cycle([f"user{i}@example.com" for i in range(500)])
    state = {"conn": conn}

    def call() -> None:
        body = json.dumps({"email": next(emails), "sourceCode": {"keyName": "BENCH"}})
        c = state["conn"]
        c.request("POST", f"/service/api/v2/user?access_token={token}", body=body,
                  headers={"Content-Type": "application/json"})
        resp = c.getresponse()
        resp.read()
        assert resp.status in (200, 201)
        if resp.getheader("Connection") == "close":  # werkzeug: a new TCP connection for every call
            c.close()
            state["conn"] = http.client.HTTPConnection(srv.host, srv.port, timeout=5)

    benchmark(call)
    state["conn"].close()
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        benchmark.extra_info["requests_per_s"] = round(1.0 / stats.stats.mean, 1)
        print(f"\nmock Ansira upsert on {name}, one keep-alive client: {1.0 / stats.stats.mean:,.0f} requests/s")


@pytest.fixture(scope="module")
def journal() -> list[dict[str, Any]]:
    """A rate-limited run's journal: 50,000 calls, one 429 with Retry-After in every 50."""
    rng = random.Random(7)
    out, ts = [], T0
    for i in range(50_000):
        ts += rng.expovariate(200)
        limited = i % 50 == 49
        out.append({"seq": i + 1, "ts": ts, "duration_ms": 1.0, "operation": "create_user",
                    "status": 429 if limited else 201, "client_id": "c", "email": f"u{i}@x",
                    "retry_after": 1 if limited else None})
    return out


def test_bench_retry_after_violations_50k(benchmark: Any, journal: list[dict[str, Any]]) -> None:
    n = benchmark(retry_after_violations, journal, allowance=9, grace_s=0.25)
    assert n > 0  # this journal ignores every Retry-After


@pytest.fixture(scope="module")
def big_run(journal: list[dict[str, Any]]) -> Raw:
    users = 100_000
    rows = [{"_id": str(i), "first_seen_ts": T0 + i * 0.001, "field_ts": {"ansira_uuid": T0 + i * 0.001 + 0.05}}
            for i in range(users)]
    enters = [{"profile_id": str(i), "event": "enter", "cause_ts": T0 + i * 0.001} for i in range(0, users, 10)]
    outcomes = [{"user": str(i), "status": "enriched"} for i in range(users)]
    return Raw(job_start_ts=T0, load_start_ts=T0, load_end_ts=T0 + 100, drained_ts=T0 + 101, backfill_users=90_000,
               field_times=rows, enters=enters, members_at_end=[], journal=journal, journal_summary={},
               outcomes=outcomes, runner_counters={}, locust=None)


def test_bench_metrics_of_a_100k_user_run(benchmark: Any, big_run: Raw) -> None:
    m = benchmark(compute, big_run)
    assert m["users_enriched"] == 100_000 and m["lost_users"] == 0 and m["enrich_latency_p50_ms"] == 50.0


def test_bench_thresholds_parse_and_evaluate(benchmark: Any) -> None:
    texts = ["enrich_latency_p99_ms < 250", "lost_users == 0", "achieved_rate >= 0.95 * ansira_limit",
             "(ansira_429 + ansira_5xx) / ansira_requests < 0.01"]
    metrics = {"enrich_latency_p99_ms": 120.0, "lost_users": 0.0, "achieved_rate": 198.0, "ansira_limit": 200.0,
               "ansira_429": 3.0, "ansira_5xx": 0.0, "ansira_requests": 6000.0}

    def run() -> list[bool]:
        return [evaluate(parse(t), metrics).ok for t in texts]

    assert benchmark(run) == [True, True, True, True]


def test_bench_arrival_schedule(benchmark: Any) -> None:
    plan = ArrivalPlan([(60, 200), (60, 200), (60, 0)], 0)

    def run() -> float | None:
        t = None
        for k in range(0, 20_000, 7):
            t = plan.time_of(k)
        return t

    assert benchmark(run) is not None
