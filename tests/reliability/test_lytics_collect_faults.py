"""Mock Lytics' collect fault knob (`/__admin/faults`): refuses write-backs for a while, stores nothing meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_lytics import create_app

KEY = "rel-api-key-0123456789"
ADMIN = "rel-admin-key-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Flask:
    return create_app({"API_KEY": KEY, "ADMIN_KEY": ADMIN, "CLOCK": clock})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = KEY
    c.environ_base["HTTP_X_ADMIN_KEY"] = ADMIN
    return c


def collect(client: FlaskClient, stream: str, email: str) -> int:
    return client.post(f"/collect/json/{stream}", json=[{"email": email}]).status_code


def state(client: FlaskClient) -> dict[str, Any]:
    return client.get("/__admin/state").get_json()["data"]


def faults(client: FlaskClient) -> dict[str, Any]:
    return client.get("/__admin/faults").get_json()["data"]


def test_count_limited_failure_stores_nothing_then_recovers(client: FlaskClient) -> None:
    resp = client.post("/__admin/faults", json={"collect": {"status": 503, "count": 2}})
    assert resp.status_code == 200 and resp.get_json()["data"]["collect"]["remaining"] == 2
    before = state(client)
    assert [collect(client, "web", "a@x.com"), collect(client, "web", "b@x.com")] == [503, 503]
    assert state(client) == before  # refused requests stored nothing
    assert faults(client)["collect"] | {"seconds_left": None} == {
        "status": 503, "stream": None, "fired": 2, "remaining": 0, "seconds_left": None, "retry_after_s": None,
        "active": False}
    assert collect(client, "web", "c@x.com") == 200
    assert state(client)["unattached_events"] == before["unattached_events"] + 1


def test_stream_filter_and_retry_after(client: FlaskClient) -> None:
    client.post("/__admin/faults", json={"collect": {"status": 429, "count": 5, "stream": "ansira",
                                                    "retry_after_s": 2}})
    assert collect(client, "web", "a@x.com") == 200
    refused = client.post("/collect/json/ansira", json={"origin": {"email": "a@x.com"}})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    body = refused.get_json()
    assert body["data"] is None and "injected collect fault" in body["message"]
    assert faults(client)["collect"]["remaining"] == 4


def test_duration_window_follows_the_clock(client: FlaskClient, clock: Clock) -> None:
    client.post("/__admin/faults", json={"collect": {"status": 500, "duration_s": 3}})
    assert collect(client, "web", "a@x.com") == 500
    clock.now += 2.9
    assert collect(client, "web", "a@x.com") == 500
    clock.now += 0.2
    assert collect(client, "web", "a@x.com") == 200
    assert faults(client)["collect"]["active"] is False


def test_null_and_reset_clear_the_rule(client: FlaskClient) -> None:
    client.post("/__admin/faults", json={"collect": {"status": 503, "count": 9}})
    client.post("/__admin/faults", json={"collect": None})
    assert collect(client, "web", "a@x.com") == 200
    client.post("/__admin/faults", json={"collect": {"status": 503, "count": 9}})
    client.post("/__admin/reset")
    assert faults(client) == {"collect": None}
    assert collect(client, "web", "a@x.com") == 200


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"collect": {"count": 1}}, "faults.collect.status: required"),
        ({"collect": {"status": 200, "count": 1}}, "faults.collect.status: expected an integer from 400 to 599"),
        ({"collect": {"status": True, "count": 1}}, "faults.collect.status"),
        ({"collect": {"status": 503}}, "give count and/or duration_s"),
        ({"collect": {"status": 503, "count": 0}}, "faults.collect.count"),
        ({"collect": {"status": 503, "duration_s": -1}}, "faults.collect.duration_s"),
        ({"collect": {"status": 503, "duration_s": "2"}}, "faults.collect.duration_s"),
        ({"collect": {"status": 503, "count": 1, "stream": "a b"}}, "faults.collect.stream"),
        ({"collect": {"status": 503, "count": 1, "streem": "x"}}, "unknown key(s) streem"),
        ({"collect": [503]}, "expected an object or null"),
        ({"ansira": {}}, "unknown key(s) ansira"),
        ([1], "expected a JSON object"),
    ],
    ids=["no-status", "status-200", "status-bool", "no-length", "count-0", "negative-duration", "string-duration",
         "bad-stream", "typo-key", "list", "unknown-target", "not-an-object"],
)
def test_bad_input_is_refused_and_keeps_the_current_rule(client: FlaskClient, doc: Any, needle: str) -> None:
    client.post("/__admin/faults", json={"collect": {"status": 502, "count": 3}})
    before = faults(client)
    resp = client.post("/__admin/faults", json=doc)
    assert resp.status_code == 400
    assert needle in resp.get_json()["message"]
    assert faults(client) == before


def test_the_knob_is_on_the_admin_plane(app: Flask) -> None:
    c = app.test_client()
    body = {"collect": {"status": 503, "count": 1}}
    assert c.post("/__admin/faults", json=body, headers={"Authorization": KEY}).status_code == 401
    assert c.post("/__admin/faults", json=body, headers={"X-Admin-Key": ADMIN}).status_code == 200
