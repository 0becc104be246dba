"""Collect: response shape, flattening, limits, dryrun, all-or-nothing, streams, API key rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from lytics_helpers import API_KEY, Api, FakeClock, ansira_schema

from harness.servers import ServerThread
from mock_lytics import create_app


def store_state(api: Api) -> dict[str, Any]:
    state = api.ok("GET", "/__admin/state", auth=False)
    return {"profiles": state["profiles"], "streams": state["streams"], "feed": state["feed"]}


@pytest.fixture
def small(clock: FakeClock) -> Api:
    api = Api(create_app({"API_KEY": API_KEY, "CLOCK": clock, "MAX_BODY_BYTES": 2000, "MAX_EVENT_BYTES": 300}))
    ansira_schema(api)
    api.segment("FILTER EXISTS email ALIAS has_email")
    api.collect("web", {"email": "seed@x.com"})
    return api


def test_response_shape_and_flattening(api: Api) -> None:
    ansira_schema(api)
    data = api.collect("ansira", [{"origin": {"email": "A@x.com"}, "response": {"uuid": "u", "tags": ["a", "b"],
                                                                                 "address": {"city": "Lyon"}}}],
                       filename="f.json")
    assert data == {"message_count": 1, "rejected_count": 0, "content-type": "application/json",
                    "droperrors": False, "dryrun": False, "timestamp_field": "", "filename": "f.json"}
    sample = api.app.extensions["mock_lytics"].streams.by_name["ansira"].sample[-1]
    assert sample == {"origin.email": "A@x.com", "response.uuid": "u", "response.tags": ["a", "b"],
                      "response.address.city": "Lyon"}
    assert api.entity("email", "a@x.com")["ansira_uuid"] == "u"


def test_single_object_and_streams_listing(api: Api) -> None:
    api.collect("clicks", {"x": 1})
    api.collect("clicks", [{"x": 2}, {"x": 3}])
    assert api.ok("GET", "/v2/stream/names") == ["clicks"]
    [stream] = api.ok("GET", "/api/schema/_streams")
    assert (stream["stream"], stream["ct"]) == ("clicks", 3)


def test_dryrun_validates_and_counts_but_stores_nothing(small: Api) -> None:
    before = store_state(small)
    data = small.collect("web", [{"email": "new@x.com"}, 5], dryrun="true")
    assert (data["message_count"], data["rejected_count"], data["dryrun"]) == (1, 1, True)
    assert store_state(small) == before
    small.collect("fresh", {"a": 1}, dryrun="true")
    assert "fresh" not in small.ok("GET", "/v2/stream/names")


REFUSED = [
    ("malformed-json", 400, b'[{"email": "ok@x.com"}, {"email": ]', "malformed JSON at line 1, col 35"),
    ("not-utf8", 400, b'{"email": "\xff"}', "not UTF-8"),
    ("scalar-body", 400, b"42", "must be a JSON object or array"),
    ("empty-body", 400, b"  ", "empty"),
    ("body-over-limit", 413, json.dumps([{"email": f"u{i}@x.com"} for i in range(100)]).encode(),
     "the collect limit is 2000 bytes"),
    ("event-over-limit", 413, json.dumps([{"email": "ok@x.com"}, {"email": "big@x.com", "pad": "x" * 400}]).encode(),
     "event at index 1 is"),
]


@pytest.mark.parametrize(("status", "body", "expected"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_requests_store_nothing(small: Api, status: int, body: bytes, expected: str) -> None:
    before = store_state(small)
    msg = small.fail("POST", "/collect/json/web", status, data=body, content_type="application/json")
    assert expected in msg
    assert store_state(small) == before


def test_timestamp_field_sets_event_time_and_rejects_garbage(api: Api) -> None:
    api.field("email", is_identifier=True)
    api.field("plan", mergeop="latest")
    api.mapping("email", "web", "email")
    api.mapping("plan", "web", "plan")
    api.publish()
    data = api.collect("web", [{"email": "a", "plan": "new", "at": "2024-02-01T00:00:00Z"},
                               {"email": "a", "plan": "old", "at": "01/15/2024"},
                               {"email": "a", "plan": "bad", "at": "yesterday-ish"}], timestamp_field="at")
    assert (data["message_count"], data["rejected_count"], data["timestamp_field"]) == (2, 1, "at")
    assert api.entity("email", "a")["plan"] == "new"


AUTH = [
    ("raw-header", {"headers": {"Authorization": API_KEY}}, 200),
    ("key-param", {"query_string": {"key": API_KEY}}, 200),
    ("access-token-param", {"query_string": {"access_token": API_KEY}}, 200),
    ("account-id-ignored", {"query_string": {"key": API_KEY, "account_id": "123"}}, 200),
    ("no-key", {}, 401),
    ("wrong-key", {"headers": {"Authorization": "nope"}}, 401),
    ("bearer-prefix", {"headers": {"Authorization": f"Bearer {API_KEY}"}}, 401),
]


@pytest.mark.parametrize(("kwargs", "status"), [a[1:] for a in AUTH], ids=[a[0] for a in AUTH])
def test_api_key_rules(api: Api, kwargs: dict[str, Any], status: int) -> None:
    resp = api.call("POST", "/collect/json/web", auth=False, json={"a": 1}, **kwargs)
    assert resp.status_code == status
    body = resp.get_json()
    assert body["status"] == status and "request_id" in body
    if status == 401:
        assert body["data"] is None
        assert API_KEY not in resp.get_data(as_text=True)
    if "bearer" in str(kwargs).lower():
        assert "without a 'Bearer ' prefix" in body["message"]


def test_chunked_body_over_the_limit_is_refused(clock: FakeClock) -> None:
    app = create_app({"API_KEY": API_KEY, "CLOCK": clock, "MAX_BODY_BYTES": 1000})

    def body() -> Iterator[bytes]:
        yield b"["
        for i in range(200):
            yield json.dumps({"email": f"u{i}@x.com"}).encode() + b","
        yield b'{"email": "last@x.com"}]'

    with ServerThread(app, name="mock-lytics") as server:
        resp = requests.post(f"{server.url}/collect/json/web", data=body(), timeout=10,
                             headers={"Authorization": API_KEY, "Content-Type": "application/json"})
        assert resp.status_code == 413
        assert "exceeds the collect limit of 1000 bytes" in resp.json()["message"]
        ok = requests.post(f"{server.url}/collect/json/web", data=iter([b'[{"a":', b"1}]"]), timeout=10,
                           headers={"Authorization": API_KEY})
        assert ok.status_code == 200 and ok.json()["data"]["message_count"] == 1
    assert app.extensions["mock_lytics"].streams.by_name["web"].count == 1


def test_content_length_over_the_limit_is_refused_up_front(clock: FakeClock) -> None:
    api = Api(create_app({"API_KEY": API_KEY, "CLOCK": clock, "MAX_BODY_BYTES": 10}))
    resp = api.post("/collect/json/web", data=b"[" + b" " * 50 + b"]", content_type="application/json")
    assert resp.status_code == 413 and "body is 52 bytes" in resp.get_json()["message"]


def test_bad_stream_name(api: Api) -> None:
    assert "stream name" in api.fail("POST", "/collect/json/bad name", 400, json={"a": 1})


def test_unpaired_surrogate_escapes_become_replacement_characters_as_in_go(api: Api) -> None:
    """Go's encoding/json replaces an unpaired \\uD8xx escape with U+FFFD; a real pair is one character."""
    body = b'{"email": "s@x.com", "first_name": "a\\ud800b", "\\udc54key": "\\ud83d\\ude00"}'
    data = api.ok("POST", "/collect/json/web", data=body, content_type="application/json")
    assert data["message_count"] == 1
    sample = api.app.extensions["mock_lytics"].streams.by_name["web"].sample[-1]
    assert sample == {"email": "s@x.com", "first_name": "a\ufffdb", "\ufffdkey": "\U0001f600"}
