from __future__ import annotations

import re
from typing import Any

import pytest
from ansira_helpers import (
    CLIENT_ID,
    SECRET,
    TOKEN_PATH,
    USER_PATH,
    AppFactory,
    FakeClock,
    base_behaviour,
    get_token,
    journal,
    user_body,
)
from flask import Flask
from flask.testing import FlaskClient

from mock_ansira import create_app, openapi
from mock_ansira.app import get_backend
from mock_ansira.behaviour import DEFAULT_CLIENT_ID, DEFAULT_SOURCE_CODE, MASK
from mock_ansira.openapi import build_openapi
from mock_ansira.routes import OPERATIONS


def create(client: FlaskClient, token: str, email: str) -> int:
    return client.post(USER_PATH, query_string={"access_token": token}, json=user_body(email)).status_code


def test_create_app_alone_serves_one_client() -> None:
    app = create_app()
    client = app.test_client()
    behaviour = get_backend(app).behaviour
    (default,) = behaviour.clients
    assert default.client_id == DEFAULT_CLIENT_ID and behaviour.source_codes == [DEFAULT_SOURCE_CODE]
    token = get_token(client, DEFAULT_CLIENT_ID, default.client_secret.get_secret_value())
    resp = client.post(USER_PATH, query_string={"access_token": token},
                       json={"email": "a@example.com", "sourceCode": {"keyName": DEFAULT_SOURCE_CODE}})
    assert resp.status_code == 201
    assert client.get("/__admin/behaviour").json["clients"][0]["client_secret"] == MASK
    assert default.client_secret.get_secret_value() not in repr(behaviour)


def test_reset_returns_to_the_start_up_state(make_app: AppFactory) -> None:
    client = make_app(base_behaviour(known_users={"count": 2})).test_client()
    token = get_token(client)
    create(client, token, "new@example.com")
    client.patch("/__admin/behaviour", json={"source_codes": ["OTHER"]})
    assert client.post("/__admin/reset").json == {"status": "reset"}
    health = client.get("/__admin/health").json
    assert (health["users"], health["live_tokens"], health["requests"]) == (2, 0, 0)
    assert client.get("/__admin/behaviour").json["source_codes"] == ["LYTICS2024"]
    assert client.get("/__admin/journal/summary").json["total"] == 0
    assert create(client, token, "x@example.com") == 401  # tokens are gone


def test_put_replaces_and_patch_merges_the_behaviour(client: FlaskClient) -> None:
    doc = client.get("/__admin/behaviour").json
    assert doc["clients"][0]["client_secret"] == MASK
    doc["source_codes"] = ["A", "B"]
    put = client.put("/__admin/behaviour", json=doc)  # the masked secret means "keep the current one"
    assert put.status_code == 200 and put.json["source_codes"] == ["A", "B"]
    get_token(client)
    patch = {"clients": [{"client_id": CLIENT_ID, "token_ttl_s": 60}, {"client_id": "new", "client_secret": "n"}],
             "latency": {"kind": "fixed", "ms": 5}}
    merged = client.patch("/__admin/behaviour", json=patch).json
    assert [c["client_id"] for c in merged["clients"]] == [CLIENT_ID, "new"]
    assert merged["clients"][0]["token_ttl_s"] == 60
    assert merged["source_codes"] == ["A", "B"] and merged["latency"] == [{"kind": "fixed", "ms": 5.0,
                                                                          "operation": "*"}]
    assert client.post(TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET)).json[
        "expires_in"] == 60
    removed = client.patch("/__admin/behaviour", json={"latency": None}).json
    assert removed["latency"] == []


@pytest.mark.parametrize(
    ("method", "body", "path"),
    [
        pytest.param("PATCH", {"faults": [{"kind": "status"}]}, "faults[0]", id="fault-without-status"),
        pytest.param("PATCH", {"clinets": []}, "clinets", id="typo-key"),
        pytest.param("PUT", {"clients": []}, "clients", id="no-clients"),
        pytest.param("PATCH", {"latency": {"kind": "uniform", "min_ms": 9, "max_ms": 1}}, "latency",
                     id="bad-latency"),
        pytest.param("PATCH", {"faults": [{"kind": "status", "status": 500, "client_id": "ghost"}]}, "$",
                     id="fault-for-unknown-client"),
        pytest.param("PUT", {"clients": [{"client_id": "x"}]}, "clients[0].client_secret", id="put-no-secret"),
        pytest.param("PUT", ["not", "an", "object"], "$", id="not-an-object"),
    ],
)
def test_bad_behaviour_is_400_and_changes_nothing(client: FlaskClient, method: str, body: Any, path: str) -> None:
    before = client.get("/__admin/behaviour").json
    resp = client.open("/__admin/behaviour", method=method, json=body)
    assert resp.status_code == 400
    assert path in [p["path"] for p in resp.json["problems"]]
    assert client.get("/__admin/behaviour").json == before


def test_bad_behaviour_at_start_up_names_the_path(make_app: AppFactory) -> None:
    with pytest.raises(ValueError, match=r"faults\[0\]\.hang_s"):
        make_app(base_behaviour(faults=[{"kind": "timeout", "hang_s": -1}]))


def test_seed_users(client: FlaskClient) -> None:
    body = {"users": [{"email": "Seeded@Example.com", "firstName": "Sam", "sourceCode": {"keyName": "LYTICS2024"}}],
            "generate": 2}
    resp = client.post("/__admin/users", json=body)
    assert resp.status_code == 201
    users = resp.json["users"]
    assert len(users) == 3 and users[0]["email"] == "seeded@example.com" and users[0]["firstName"] == "Sam"
    assert users[0]["address"]["city"]  # the rest comes from Faker
    token = get_token(client)
    again = client.post(USER_PATH, query_string={"access_token": token}, json=user_body("seeded@example.com"))
    assert again.status_code == 200 and again.json["firstName"] == "Sam"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param({"users": [{"email": "bad"}]}, "users[0].email", id="bad-email"),
        pytest.param({"users": [{}]}, "users[0].email", id="no-email"),
        pytest.param({"users": {}}, "users", id="not-a-list"),
        pytest.param({"generate": -1}, "generate", id="negative-generate"),
        pytest.param({"usr": []}, "usr", id="unknown-key"),
    ],
)
def test_bad_user_seeds(client: FlaskClient, body: Any, path: str) -> None:
    resp = client.post("/__admin/users", json=body)
    assert resp.status_code == 400 and path in [p["path"] for p in resp.json["problems"]]
    assert client.get("/__admin/health").json["users"] == 0


def test_revoke_and_expire_tokens(make_app: AppFactory, clock: FakeClock) -> None:
    doc = base_behaviour(clients=[{"client_id": CLIENT_ID, "client_secret": SECRET},
                                  {"client_id": "b", "client_secret": "sb"}])
    client = make_app(doc).test_client()
    a, b = get_token(client), get_token(client, "b", "sb")
    assert client.post("/__admin/tokens/revoke", json={"client_id": "b"}).json == {"revoked": 1}
    assert (create(client, a, "1@example.com"), create(client, b, "2@example.com")) == (201, 401)
    assert client.post("/__admin/tokens/expire", json={"ttl_s": 10}).json == {"expired": 1}
    clock.advance(9)
    assert create(client, a, "3@example.com") == 201
    clock.advance(1)
    assert create(client, a, "4@example.com") == 401
    c = get_token(client)
    assert client.post("/__admin/tokens/expire").json == {"expired": 1}
    assert create(client, c, "5@example.com") == 401
    d = get_token(client)
    assert client.post("/__admin/tokens/revoke").json == {"revoked": 1}
    assert create(client, d, "6@example.com") == 401
    for bad in ({"client_id": "ghost"}, {"ttl_s": -1}, {"ttl_s": "soon"}, {"oops": 1}):
        assert client.post("/__admin/tokens/expire", json=bad).status_code == 400


def test_removed_client_tokens_stop_working(client: FlaskClient) -> None:
    token = get_token(client)
    client.patch("/__admin/behaviour", json={"clients": [{"client_id": "other", "client_secret": "o"}]})
    doc = client.get("/__admin/behaviour").json
    doc["clients"] = [c for c in doc["clients"] if c["client_id"] != CLIENT_ID]
    assert client.put("/__admin/behaviour", json=doc).status_code == 200
    assert create(client, token, "a@example.com") == 401


@pytest.mark.parametrize(
    "path",
    ["/__admin/reset", "/__admin/tokens/revoke", "/__admin/tokens/expire"],
)
def test_get_to_a_mutator_is_405(client: FlaskClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 405 and resp.json["error"] == "method_not_allowed"
    assert resp.headers["Allow"] == "POST"


def test_admin_key(make_app: AppFactory) -> None:
    client = make_app(ADMIN_KEY="adm-key").test_client()
    assert client.get("/__admin/health").status_code == 401
    assert client.get("/__admin/health", headers={"X-Admin-Key": "wrong"}).status_code == 401
    assert client.post("/__admin/reset", headers={"X-Admin-Key": "adm-key"}).status_code == 200
    assert client.get("/__admin/journal/summary", headers={"X-Admin-Key": "adm-key"}).json["total"] == 0
    assert client.get("/openapi.json").status_code == 200  # the description stays public


def test_journal_paging_and_summary(client: FlaskClient) -> None:
    token = get_token(client)
    for email in ("a@example.com", "A@example.com", "b@example.com"):
        create(client, token, email)
    client.get("/nowhere")
    page = client.get("/__admin/journal?after=1&limit=2").json
    assert [e["seq"] for e in page["entries"]] == [2, 3] and page["next_after"] == 3
    assert client.get("/__admin/journal?after=5").json == {"entries": [], "next_after": 5, "dropped": 0}
    entry = journal(client)[1]
    assert set(entry) == {"seq", "ts", "duration_ms", "method", "path", "operation", "status", "client_id",
                          "email", "fault", "retry_after", "request_id"}
    assert isinstance(entry["ts"], float) and entry["duration_ms"] >= 0 and entry["request_id"] is None
    assert client.get("/__admin/journal/summary").json == {
        "total": 5, "by_operation": {"token": 1, "create_user": 3, "not_found": 1},
        "by_status": {"200": 2, "201": 2, "404": 1}, "by_client": {CLIENT_ID: 4},
        "per_email": {"a@example.com": 2, "b@example.com": 1}, "tokens_issued": 1, "dropped": 0,
    }
    for bad in ("after=-1", "limit=0", "limit=x", "limit=100001"):
        assert client.get(f"/__admin/journal?{bad}").status_code == 400
    assert client.delete("/__admin/journal").status_code == 200
    assert client.get("/__admin/journal/summary").json["total"] == 0


def test_journal_is_bounded_but_totals_are_not(make_app: AppFactory) -> None:
    client = make_app(JOURNAL_CAPACITY=3).test_client()
    for _ in range(5):
        client.get("/nowhere")
    page = client.get("/__admin/journal").json
    assert [e["seq"] for e in page["entries"]] == [3, 4, 5] and page["dropped"] == 2
    summary = client.get("/__admin/journal/summary").json
    assert (summary["total"], summary["dropped"]) == (5, 2)


def _flask_routes(app: Flask) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
        kinds = re.match(r".*<any\(([^)]*)\):kind>", rule.rule)
        paths = [path.replace("{kind}", k.strip()) for k in kinds.group(1).split(",")] if kinds else [path]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.update((p, method.lower()) for p in paths)
    return out


def test_every_public_view_names_its_journal_operation(app: Flask) -> None:
    """A public view missing from routes.OPERATIONS would be journaled (and configured) under its endpoint name."""
    public = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/service/")}
    assert public == set(OPERATIONS)
    assert set(OPERATIONS.values()) == {"token", "create_user", "list_users", "reference"}


def test_openapi_is_valid_and_covers_every_route(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/openapi.json").json
    assert doc == build_openapi(app) and doc["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _flask_routes(app)
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)


def test_openapi_skeleton_follows_the_url_map(monkeypatch: pytest.MonkeyPatch) -> None:
    """A route nobody described still shows (generated from its view); a description of a gone route fails."""
    app = create_app()

    def probe(item_id: str) -> str:
        """Probe one item.

        Only in this test."""
        return item_id

    app.add_url_rule("/service/api/v2/probe/<item_id>", "probe", probe, methods=["GET"])
    op = build_openapi(app)["paths"]["/service/api/v2/probe/{item_id}"]["get"]
    assert op["summary"] == "Probe one item." and op["parameters"][0]["name"] == "item_id"
    assert op["security"] == [{"accessTokenQuery": []}, {"bearer": []}]
    real = openapi._overlays

    def stale() -> dict[str, Any]:
        return {**real(), "/service/api/v2/gone": {"get": {"summary": "removed"}}}

    monkeypatch.setattr(openapi, "_overlays", stale)
    with pytest.raises(ValueError, match="GET /service/api/v2/gone"):
        build_openapi(app)


@pytest.mark.parametrize(("sent", "recorded"), [("a1b2-7", "a1b2-7"), ("x" * 200, "x" * 128), ("bad\tid", None),
                                               ("caf\u00e9", None), ("", None)],
                         ids=["plain", "truncated", "control-char", "not-ascii", "empty"])
def test_journal_records_the_client_request_id(client: FlaskClient, sent: str, recorded: str | None) -> None:
    """The runner's X-Enrichsim-Request-Id joins its request log to the journal; junk is not echoed."""
    token = get_token(client)
    headers = {"X-Enrichsim-Request-Id": sent.encode().decode("latin-1")}
    client.post(USER_PATH, query_string={"access_token": token}, json=user_body(), headers=headers)
    assert journal(client)[-1]["request_id"] == recorded
