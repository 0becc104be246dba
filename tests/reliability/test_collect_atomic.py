"""A collect request is all-or-nothing: whatever the body (broken JSON, bad bytes, an oversized event anywhere in
the batch, nesting deeper than the parser allows, a body over the limit), a refused request changes no store,
profile, audience or feed event, and a dryrun changes nothing at all. No body earns a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_lytics import create_app

KEY = "atomic-api-key-0123456789"
MAX_BODY, MAX_EVENT = 20_000, 2_000
FIELDS = [{"id": "email", "type": "string", "is_identifier": True}, {"id": "city", "type": "string"},
          {"id": "tags", "type": "[]string", "mergeop": "merge"}]
MAPPINGS = [{"field": "email", "stream": "web", "expr": "email(email)"}, {"field": "city", "stream": "web",
            "expr": "city"}, {"field": "tags", "stream": "web", "expr": "tags"}]
SEGMENT = "FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS source"


def build() -> Flask:
    app = create_app({"API_KEY": KEY, "MAX_BODY_BYTES": MAX_BODY, "MAX_EVENT_BYTES": MAX_EVENT})
    c = client(app)
    for f in FIELDS:
        c.post("/v2/schema/user/field", json=f)
    for mp in MAPPINGS:
        c.post("/v2/schema/user/mapping", json=mp)
    c.post("/v2/schema/user/publish", json={"tag": "atomic"})
    c.post("/api/segment", data=SEGMENT, content_type="text/plain")
    c.post("/collect/json/web", json=[{"email": f"u{i}@x.com", "city": "A", "tags": ["t"]} for i in range(5)])
    return app


def client(app: Flask) -> FlaskClient:
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = KEY
    return c


def snapshot(c: FlaskClient) -> Any:
    state = c.get("/__admin/state").get_json()["data"]
    profiles = c.get("/__admin/profiles", query_string={"limit": 10000}).get_json()["data"]
    feed = c.get("/__admin/feed", query_string={"after": 0, "limit": 10000}).get_json()["data"]
    streams = c.get("/api/schema/_streams").get_json()["data"]
    return state, profiles, feed, streams


APP = build()
EVENT = st.fixed_dictionaries({"email": st.emails(), "city": st.text(max_size=8)},
                              optional={"tags": st.lists(st.text(max_size=5), max_size=3)})


def nested(depth: int) -> bytes:
    return b'{"email": "deep@x.com", "a": ' + b"[" * depth + b"1" + b"]" * depth + b"}"


def corrupt(data: bytes, at: int, junk: bytes) -> bytes:
    at = at % (len(data) + 1)
    return data[:at] + junk + data[at + 1:]


def with_big_event(events: list[dict[str, Any]], at: int) -> bytes:
    """A batch with one event over the per-event limit somewhere in it."""
    at %= len(events) + 1
    return json.dumps([*events[:at], {"email": "big@x.com", "blob": "x" * MAX_EVENT}, *events[at:]]).encode()


BODIES = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda evs, at: json.dumps(evs).encode()[: at % 200], st.lists(EVENT, min_size=1, max_size=4),
              st.integers(0, 400)),  # truncated
    st.builds(lambda evs, at, junk: corrupt(json.dumps(evs).encode(), at, junk), st.lists(EVENT, min_size=1,
              max_size=4), st.integers(0, 400), st.sampled_from([b"\xff", b"{", b"]", b",,", b"\x00", b"'"])),
    st.builds(with_big_event, st.lists(EVENT, max_size=4), st.integers(0, 10)),
    st.builds(lambda evs: json.dumps(evs * 400).encode(), st.lists(EVENT, min_size=1, max_size=2)),  # body too big
    st.builds(nested, st.integers(0, 3000)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, dryrun=st.booleans())
def test_a_refused_or_dry_collect_changes_nothing(body: bytes, dryrun: bool) -> None:
    c = client(APP)
    before = snapshot(c)
    resp = c.post("/collect/json/web", data=body, content_type="application/json",
                  query_string={"dryrun": "true"} if dryrun else {})
    assert resp.status_code < 500, resp.get_json()
    assert resp.get_json()["message"], "every answer says what happened"
    if resp.status_code != 200 or dryrun:
        assert snapshot(c) == before, (resp.status_code, resp.get_json()["message"])


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (nested(5000), 400, "nested too deeply"),
        (b'{"email": "a@x.com", "a": ' + b'{"b": ' * 2000 + b"1" + b"}" * 2000 + b"}", 400, "nested too deeply"),
        (json.dumps([{"email": "ok@x.com"}, {"email": "big@x.com", "blob": "x" * MAX_EVENT}]).encode(), 413,
         "event at index 1"),
        (b"[" + b"{}," * 10_000 + b"{}]", 413, f"the collect limit is {MAX_BODY} bytes"),
    ],
    ids=["deep-array", "deep-object", "oversized-event-after-a-good-one", "body-over-limit"],
)
def test_refusals_name_the_problem(body: bytes, status: int, needle: str) -> None:
    c = client(APP)
    before = snapshot(c)
    resp = c.post("/collect/json/web", data=body, content_type="application/json")
    assert resp.status_code == status and needle in resp.get_json()["message"]
    assert snapshot(c) == before


@pytest.mark.parametrize("path", ["/v2/job/webhook_enrichment", "/v2/schema/user/field", "/api/segment",
                                  "/v2/template/test", "/v2/auth/header-param-auth", "/__admin/faults"])
def test_deep_json_is_a_400_everywhere_in_mock_lytics(path: str) -> None:
    resp = client(APP).post(path, data=nested(5000), content_type="application/json")
    assert resp.status_code == 400, resp.get_json()


def test_deep_json_is_a_400_in_mock_ansira() -> None:
    from mock_ansira import create_app as ansira_app

    app = ansira_app({"BEHAVIOUR": {"clients": [{"client_id": "c", "client_secret": "s" * 12}]}})
    c = app.test_client()
    token = c.post("/service/oauth/v2/token", data={"grant_type": "client_credentials"},
                   auth=("c", "s" * 12)).get_json()["access_token"]
    deep = nested(5000)
    assert c.post(f"/service/api/v2/user?access_token={token}", data=deep,
                  content_type="application/json").status_code == 400
    assert c.put("/__admin/behaviour", data=deep, content_type="application/json").status_code == 400
    assert c.post("/service/oauth/v2/token", data=deep, content_type="application/json").status_code == 400
