"""Requests/s of the mock Ansira user endpoint: over loopback HTTP (requests.Session) and in-process (WSGI).

Run with `make bench`. Note: werkzeug's dev server answers every request with `Connection: close`, so a
requests.Session still opens one TCP connection per call; the HTTP figure includes that connect.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from harness.servers import ServerThread
from mock_ansira import create_app

CLIENT = {"client_id": "bench", "client_secret": "bench-secret"}
BEHAVIOUR = {"seed": 1, "clients": [CLIENT], "source_codes": ["BENCH"], "known_users": {"count": 0}}
TOKEN_PATH = "/service/oauth/v2/token"
USER_PATH = "/service/api/v2/user"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    srv = ServerThread(create_app({"BEHAVIOUR": BEHAVIOUR}), name="ansira-bench").start(ready_path="/__admin/health")
    yield srv
    srv.stop()


def _report(benchmark: Any, label: str) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        rps = 1.0 / stats.stats.mean
        benchmark.extra_info["requests_per_s"] = round(rps, 1)
        print(f"\n{label}: {rps:,.0f} requests/s (mean {stats.stats.mean * 1000:.3f} ms)")


def test_bench_ansira_user_upsert_http(benchmark: Any, server: ServerThread) -> None:
    with requests.Session() as session:
        token = session.post(server.url + TOKEN_PATH, data={"grant_type": "client_credentials"},
                             auth=(CLIENT["client_id"], CLIENT["client_secret"]), timeout=5).json()["access_token"]
        emails = itertools.cycle([f"user{i}@example.com" for i in range(500)])

        def call() -> None:
            resp = session.post(server.url + USER_PATH, params={"access_token": token},
                                json={"email": next(emails), "sourceCode": {"keyName": "BENCH"}}, timeout=5)
            assert resp.status_code in (200, 201)

        benchmark(call)
    _report(benchmark, "mock_ansira POST /service/api/v2/user over loopback HTTP")


def test_bench_ansira_user_upsert_in_process(benchmark: Any) -> None:
    client = create_app({"BEHAVIOUR": BEHAVIOUR}).test_client()
    token = client.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                        auth=(CLIENT["client_id"], CLIENT["client_secret"])).json["access_token"]
    emails = itertools.cycle([f"user{i}@example.com" for i in range(500)])

    def call() -> None:
        resp = client.post(USER_PATH, query_string={"access_token": token},
                           json={"email": next(emails), "sourceCode": {"keyName": "BENCH"}})
        assert resp.status_code in (200, 201)

    benchmark(call)
    _report(benchmark, "mock_ansira POST /service/api/v2/user in-process (Flask test client)")
