"""mock Lytics' bulk `GET /__admin/field-times`: the server-side clock readings latency is computed from."""

from __future__ import annotations

from typing import Any

import pytest

from mock_lytics import create_app

KEY = "load-test-key-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> Any:
    clock = Clock()
    app = create_app({"API_KEY": KEY, "CLOCK": clock})
    client = app.test_client()
    h = {"Authorization": KEY}
    for f in ({"id": "email", "type": "string", "is_identifier": True}, {"id": "ansira_uuid", "type": "string"}):
        assert client.post("/v2/schema/user/field", json=f, headers=h).status_code == 200
    for m in ({"field": "email", "stream": "web", "expr": "email"},
              {"field": "ansira_uuid", "stream": "ansira", "expr": "response.uuid"},
              {"field": "email", "stream": "ansira", "expr": "origin.email"}):
        assert client.post("/v2/schema/user/mapping", json=m, headers=h).status_code == 200
    assert client.post("/v2/schema/user/publish", json={"tag": "t"}, headers=h).status_code == 200
    return client, h, clock


def test_field_times_report_first_seen_and_change_times(api: Any) -> None:
    client, h, clock = api
    client.post("/collect/json/web", json=[{"email": f"u{i}@x.com"} for i in range(3)], headers=h)
    clock.now += 2.5
    client.post("/collect/json/ansira", json=[{"origin": {"email": "u1@x.com"}, "response": {"uuid": "U1"}}],
                headers=h)
    clock.now += 1.0  # an identical rewrite does not move the change time
    client.post("/collect/json/ansira", json=[{"origin": {"email": "u1@x.com"}, "response": {"uuid": "U1"}}],
                headers=h)
    body = client.get("/__admin/field-times?fields=ansira_uuid,email", headers=h).get_json()
    rows = {r["_id"]: r for r in body["data"]}
    assert body["total"] == 3 and body["_next"] == ""
    assert rows["2"]["field_ts"] == {"ansira_uuid": 1_700_000_002.5, "email": 1_700_000_000.0}
    assert rows["1"]["field_ts"] == {"email": 1_700_000_000.0}
    assert all(r["first_seen_ts"] == 1_700_000_000.0 for r in rows.values())


def test_field_times_page_with_a_cursor(api: Any) -> None:
    client, h, _ = api
    client.post("/collect/json/web", json=[{"email": f"u{i}@x.com"} for i in range(5)], headers=h)
    seen, start = [], ""
    while True:
        body = client.get(f"/__admin/field-times?fields=email&limit=2&start={start}", headers=h).get_json()
        seen += [r["_id"] for r in body["data"]]
        start = body["_next"]
        if not start:
            break
    assert seen == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("query", ["", "?fields=", "?fields=,,"], ids=["absent", "empty", "only-commas"])
def test_field_times_need_field_names(api: Any, query: str) -> None:
    client, h, _ = api
    resp = client.get("/__admin/field-times" + query, headers=h)
    assert resp.status_code == 400
    assert "fields: give at least one field name" in resp.get_json()["message"]
