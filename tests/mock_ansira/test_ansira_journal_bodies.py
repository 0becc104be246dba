"""The journal keeps request and response bodies: capped, credentials masked, opt-out, only on ?bodies=true."""

from __future__ import annotations

import json

from ansira_helpers import SECRET, TOKEN_PATH, USER_PATH, AppFactory, get_token, user_body
from flask.testing import FlaskClient


def _with_bodies(client: FlaskClient) -> list[dict]:
    resp = client.get("/__admin/journal?bodies=true")
    assert resp.status_code == 200
    return list(resp.json["entries"])


def test_bodies_only_when_asked(client: FlaskClient) -> None:
    token = get_token(client)
    client.post(f"{USER_PATH}?access_token={token}", json=user_body())
    plain = client.get("/__admin/journal").json["entries"]
    assert all("request_body" not in e for e in plain)  # the default page keeps its shape
    token_entry, user_entry = _with_bodies(client)
    assert token_entry["operation"] == "token" and user_entry["operation"] == "create_user"
    assert json.loads(user_entry["request_body"]) == user_body()
    answer = json.loads(user_entry["response_body"])
    assert answer["email"] == "jane@example.com" and answer["uuid"]


def test_credentials_never_reach_the_journal(client: FlaskClient) -> None:
    token = get_token(client)
    client.post(f"{USER_PATH}?access_token={token}", json=user_body())
    client.post(TOKEN_PATH, json={"grant_type": "client_credentials", "client_id": "lytics", "client_secret": SECRET})
    text = json.dumps(_with_bodies(client))
    assert SECRET not in text and token not in text
    entries = _with_bodies(client)
    assert "client_secret=***" in entries[0]["request_body"]  # the form body, masked
    assert json.loads(entries[0]["response_body"])["access_token"] == "***"
    assert json.loads(entries[2]["request_body"])["client_secret"] == "***"  # a JSON token request, masked too


def test_bodies_are_capped(make_app: AppFactory) -> None:
    client = make_app(JOURNAL_BODY_MAX=64).test_client()
    token = get_token(client)
    client.post(f"{USER_PATH}?access_token={token}", json=user_body(firstName="x" * 500))
    entry = _with_bodies(client)[-1]
    assert entry["request_body"].startswith('{"email"') and "more bytes]" in entry["request_body"]
    assert len(entry["request_body"].split(" ...[")[0].encode()) == 64


def test_only_the_newest_entries_keep_bodies(make_app: AppFactory) -> None:
    client = make_app(JOURNAL_BODIES=2).test_client()
    token = get_token(client)
    for i in range(3):
        client.post(f"{USER_PATH}?access_token={token}", json=user_body(f"u{i}@example.com"))
    entries = _with_bodies(client)
    assert [e["request_body"] is not None for e in entries] == [False, False, True, True]
    assert entries[1]["status"] == 201  # the entry itself stays


def test_bodies_off(make_app: AppFactory) -> None:
    client = make_app(JOURNAL_BODIES=0).test_client()
    token = get_token(client)
    resp = client.post(f"{USER_PATH}?access_token={token}", json=user_body())
    assert resp.status_code == 201  # the request path is unchanged
    assert [(e["request_body"], e["response_body"]) for e in _with_bodies(client)] == [(None, None)] * 2


def test_bad_bodies_flag(client: FlaskClient) -> None:
    resp = client.get("/__admin/journal?bodies=maybe")
    assert resp.status_code == 400 and "bodies" in json.dumps(resp.json)
