from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from ansira_helpers import CLIENT_ID, SECRET, TOKEN_PATH, AppFactory, base_behaviour, journal
from flask.testing import FlaskClient

GRANT = {"grant_type": "client_credentials"}


def basic(client_id: str = CLIENT_ID, secret: str = SECRET) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def assert_token_response(resp: Any, *, expires_in: int = 3600) -> None:
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == expires_in and isinstance(body["expires_in"], int)
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    assert "scope" not in body
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Pragma"] == "no-cache"


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda c: c.post(TOKEN_PATH, data={**GRANT, "client_id": CLIENT_ID, "client_secret": SECRET}),
                     id="post-form-body-credentials"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data=GRANT, headers=basic()), id="post-form-basic"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={**GRANT, "client_id": CLIENT_ID}, headers=basic()),
                     id="post-form-basic-plus-matching-client-id"),
        pytest.param(lambda c: c.get(TOKEN_PATH, query_string={**GRANT, "client_id": CLIENT_ID,
                                                               "client_secret": SECRET}), id="get-query-sdk-style"),
        pytest.param(lambda c: c.post(TOKEN_PATH, json={**GRANT, "client_id": CLIENT_ID, "client_secret": SECRET}),
                     id="post-json"),
        pytest.param(lambda c: c.post(TOKEN_PATH, query_string=GRANT, headers=basic()), id="post-query-basic"),
    ],
)
def test_token_issued(client: FlaskClient, send: Any) -> None:
    assert_token_response(send(client))


def test_tokens_are_opaque_and_distinct(client: FlaskClient) -> None:
    tokens = {client.post(TOKEN_PATH, data=GRANT, headers=basic()).json["access_token"] for _ in range(5)}
    assert len(tokens) == 5
    assert not any(SECRET in t or CLIENT_ID in t for t in tokens)


def test_basic_credentials_may_be_form_encoded(make_app: AppFactory) -> None:
    secret = "a b+c:d"
    client = make_app(base_behaviour(clients=[{"client_id": "x y", "client_secret": secret}])).test_client()
    assert_token_response(client.post(TOKEN_PATH, data=GRANT, headers=basic("x+y", "a+b%2Bc%3Ad")))
    assert_token_response(client.post(TOKEN_PATH, data=GRANT, headers=basic("x y", secret)))


def test_several_clients_have_their_own_secrets_ttls_and_scopes(make_app: AppFactory) -> None:
    doc = base_behaviour(clients=[
        {"client_id": "a", "client_secret": "sa", "token_ttl_s": 60},
        {"client_id": "b", "client_secret": "sb", "token_ttl_s": 7200, "scopes": ["users.write", "users.read"]},
    ])
    client = make_app(doc).test_client()
    assert_token_response(client.post(TOKEN_PATH, data=GRANT, headers=basic("a", "sa")), expires_in=60)
    resp = client.post(TOKEN_PATH, data=GRANT, headers=basic("b", "sb"))
    assert resp.json["expires_in"] == 7200
    assert resp.json["scope"] == "users.write users.read"
    resp = client.post(TOKEN_PATH, data={**GRANT, "scope": "users.read"}, headers=basic("b", "sb"))
    assert resp.json["scope"] == "users.read"
    assert client.post(TOKEN_PATH, data=GRANT, headers=basic("a", "sb")).status_code == 401


@pytest.mark.parametrize(
    ("send", "status", "error", "challenge"),
    [
        pytest.param(lambda c: c.post(TOKEN_PATH, data=GRANT, headers=basic(secret="wrong")),
                     401, "invalid_client", True, id="wrong-secret-basic"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data=GRANT, headers=basic(client_id="nobody")),
                     401, "invalid_client", True, id="unknown-client-basic"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={**GRANT, "client_id": CLIENT_ID, "client_secret": "no"}),
                     401, "invalid_client", False, id="wrong-secret-body"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data=GRANT), 401, "invalid_client", False, id="no-credentials"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={**GRANT, "client_id": CLIENT_ID}),
                     401, "invalid_client", False, id="client-id-without-secret"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data=GRANT, headers={"Authorization": "Basic !!!"}),
                     401, "invalid_client", True, id="malformed-basic"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={}, headers=basic()),
                     400, "invalid_request", False, id="missing-grant-type"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={"grant_type": "password"}, headers=basic()),
                     400, "unsupported_grant_type", False, id="password-grant"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={**GRANT, "client_secret": SECRET}, headers=basic()),
                     400, "invalid_request", False, id="two-auth-methods"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={**GRANT, "client_id": "other"}, headers=basic()),
                     400, "invalid_request", False, id="client-id-mismatch"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data="grant_type=client_credentials&grant_type=client_credentials",
                                      content_type="application/x-www-form-urlencoded", headers=basic()),
                     400, "invalid_request", False, id="duplicate-parameter"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data="grant_type=client_credentials", content_type="text/plain",
                                      headers=basic()),
                     400, "invalid_request", False, id="wrong-content-type"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data="{", content_type="application/json", headers=basic()),
                     400, "invalid_request", False, id="bad-json"),
        pytest.param(lambda c: c.post(TOKEN_PATH, data={**GRANT, "scope": "admin"}, headers=basic()),
                     400, "invalid_scope", False, id="scope-not-granted"),
        pytest.param(lambda c: c.delete(TOKEN_PATH), 405, "method_not_allowed", False, id="wrong-method"),
    ],
)
def test_token_errors(client: FlaskClient, send: Any, status: int, error: str, challenge: bool) -> None:
    resp = send(client)
    assert resp.status_code == status
    assert resp.json["error"] == error
    assert resp.json["error_description"]
    assert ("WWW-Authenticate" in resp.headers) == challenge
    if challenge:
        assert resp.headers["WWW-Authenticate"].startswith("Basic ")
    assert SECRET not in resp.get_data(as_text=True)


def test_token_errors_are_not_cached(client: FlaskClient) -> None:
    resp = client.post(TOKEN_PATH, data=GRANT, headers=basic(secret="wrong"))
    assert resp.headers["Cache-Control"] == "no-store"


def test_journal_never_holds_secrets_or_tokens(client: FlaskClient) -> None:
    token = client.post(TOKEN_PATH, data=GRANT, headers=basic()).json["access_token"]
    client.get(TOKEN_PATH, query_string={**GRANT, "client_id": CLIENT_ID, "client_secret": SECRET})
    client.post("/service/api/v2/user", query_string={"access_token": token},
                json={"email": "a@example.com", "sourceCode": {"keyName": "LYTICS2024"}})
    client.post(TOKEN_PATH, data=GRANT, headers=basic(client_id=SECRET))  # a secret pasted as an id
    text = json.dumps(journal(client)) + json.dumps(client.get("/__admin/journal/summary").json)
    assert SECRET not in text and token not in text
    entries = journal(client)
    assert [e["client_id"] for e in entries] == [CLIENT_ID, CLIENT_ID, CLIENT_ID, None]
    assert [e["operation"] for e in entries] == ["token", "token", "create_user", "token"]
    assert all(e["path"] in (TOKEN_PATH, "/service/api/v2/user") for e in entries)  # no query string
    assert client.get("/__admin/journal/summary").json["tokens_issued"] == 2
