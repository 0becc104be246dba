"""Mock Lytics collect throughput: batches of 100 events through the HTTP layer (Flask test client), with the
project's 3 mappings live and the target audience defined, so every event is mapped, resolved to a profile,
re-evaluated against the audience and (here, always) produces an enter or exit event on the feed.

Run with `make bench`; events/s = 100 / mean (also stored as extra_info["events_per_s"]).
In normal runs (--benchmark-disable) each benchmark runs once and checks its result: a smoke test.
"""

from __future__ import annotations

import itertools
from typing import Any

from flask.testing import FlaskClient

from mock_lytics import create_app

KEY = "bench-key"
HEADERS = {"Authorization": KEY}
BATCH = 100
ROUNDS = 30
TARGET_QL = "FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS ansira_enrichment_source"


def configured_client() -> FlaskClient:
    client = create_app({"API_KEY": KEY}).test_client()
    for body in ({"id": "email", "type": "string", "is_identifier": True},
                 {"id": "ansira_uuid", "type": "string", "mergeop": "latest"}):
        assert client.post("/v2/schema/user/field", json=body, headers=HEADERS).status_code == 200
    for body in ({"field": "email", "stream": "web", "expr": "email(email)"},
                 {"field": "email", "stream": "ansira", "expr": "email(`origin.email`)"},
                 {"field": "ansira_uuid", "stream": "ansira", "expr": "`response.uuid`"}):
        assert client.post("/v2/schema/user/mapping", json=body, headers=HEADERS).status_code == 200
    assert client.post("/v2/schema/user/publish", json={"tag": "bench"}, headers=HEADERS).status_code == 200
    assert client.post("/api/segment", data=TARGET_QL, content_type="text/plain", headers=HEADERS).status_code == 200
    return client


def collect(client: FlaskClient, stream: str, events: list[dict[str, Any]]) -> int:
    resp = client.post(f"/collect/json/{stream}", json=events, headers=HEADERS)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["data"]["message_count"]


def last_events(client: FlaskClient) -> list[dict[str, Any]]:
    data = client.get("/__admin/feed", query_string={"after": 0, "limit": 10_000}).get_json()["data"]
    return data["events"][-BATCH:]


def test_bench_collect_new_users(benchmark: Any) -> None:
    """New users on the web stream: profile creation + enter event for each."""
    client = configured_client()
    counter = itertools.count()

    def batch() -> tuple[tuple[str, list[dict[str, Any]]], dict[str, Any]]:
        base = next(counter) * BATCH
        return ("web", [{"email": f"User{base + i}@Example.com", "page": "/home"} for i in range(BATCH)]), {}

    assert benchmark.pedantic(lambda stream, events: collect(client, stream, events), setup=batch,
                              rounds=ROUNDS, iterations=1) == BATCH
    assert {e["event"] for e in last_events(client)} == {"enter"}
    benchmark.extra_info["events_per_s"] = round(BATCH / benchmark.stats["mean"]) if benchmark.stats else None


def test_bench_collect_write_backs(benchmark: Any) -> None:
    """Ansira write-backs: identity lookup, two mapped fields, and an exit event for each user."""
    client = configured_client()
    counter = itertools.count()

    def batch() -> tuple[tuple[str, list[dict[str, Any]]], dict[str, Any]]:
        base = next(counter) * BATCH
        emails = [f"user{base + i}@example.com" for i in range(BATCH)]
        collect(client, "web", [{"email": e} for e in emails])
        write_backs = [{"origin": {"email": e}, "response": {"uuid": f"uuid-{base + i}", "email": e}}
                       for i, e in enumerate(emails)]
        return ("ansira", write_backs), {}

    assert benchmark.pedantic(lambda stream, events: collect(client, stream, events), setup=batch,
                              rounds=ROUNDS, iterations=1) == BATCH
    assert {e["event"] for e in last_events(client)} == {"exit"}
    benchmark.extra_info["events_per_s"] = round(BATCH / benchmark.stats["mean"]) if benchmark.stats else None
