"""Behaviour switches a real sandbox may differ on: `emails_case_sensitive` and `error_status`."""

from __future__ import annotations

import pytest
from ansira_helpers import SOURCE, TOKEN_PATH, USER_PATH, AppFactory, base_behaviour, get_token

from mock_ansira.behaviour import BehaviourError


def _upsert(client, token: str, email: str):  # type: ignore[no-untyped-def]
    return client.post(USER_PATH, query_string={"access_token": token},
                       json={"email": email, "sourceCode": {"keyName": SOURCE}})


def test_default_folds_case_so_an_email_in_another_case_is_the_same_user(make_app: AppFactory) -> None:
    client = make_app().test_client()
    token = get_token(client)
    first, again = _upsert(client, token, "Mixed@Example.com"), _upsert(client, token, "mixed@example.COM")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"] and again.json["email"] == "mixed@example.com"


def test_case_sensitive_emails_make_another_case_a_new_user_kept_as_sent(make_app: AppFactory) -> None:
    client = make_app(base_behaviour(emails_case_sensitive=True)).test_client()
    token = get_token(client)
    lower, upper = _upsert(client, token, "a@example.com"), _upsert(client, token, "A@EXAMPLE.COM")
    assert (lower.status_code, upper.status_code) == (201, 201)
    assert upper.json["email"] == "A@EXAMPLE.COM"
    assert upper.json["id"] != lower.json["id"] and upper.json["uuid"] != lower.json["uuid"]
    assert _upsert(client, token, "A@EXAMPLE.COM").status_code == 200
    listed = client.get("/service/api/v2/users", query_string={"access_token": token, "email": "A@EXAMPLE.COM"})
    assert [u["id"] for u in listed.json] == [upper.json["id"]]


def test_error_status_overrides_by_code_and_by_operation(make_app: AppFactory) -> None:
    doc = base_behaviour(error_status={"invalid_client": 400, "invalid_request": 409,
                                       "create_user:invalid_request": 422})
    client = make_app(doc).test_client()
    bad = client.post(TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": "lytics",
                                        "client_secret": "wrong-secret"})
    assert bad.status_code == 400 and bad.json["error"] == "invalid_client"
    missing_grant = client.post(TOKEN_PATH, data={"client_id": "lytics", "client_secret": "x"})
    assert missing_grant.status_code == 409 and missing_grant.json["error"] == "invalid_request"
    token = get_token(client)
    no_email = client.post(USER_PATH, query_string={"access_token": token}, json={"sourceCode": {"keyName": SOURCE}})
    assert no_email.status_code == 422 and no_email.json["problems"][0]["path"] == "email"
    garbage = client.post(USER_PATH, query_string={"access_token": "garbage"}, json={})
    assert garbage.status_code == 401  # invalid_token is not overridden


def test_error_status_leaves_injected_faults_and_admin_alone(make_app: AppFactory) -> None:
    doc = base_behaviour(error_status={"invalid_request": 418},
                         faults=[{"kind": "status", "status": 503, "operation": "create_user"}])
    client = make_app(doc).test_client()
    token = get_token(client)
    assert _upsert(client, token, "a@example.com").status_code == 503
    assert client.patch("/__admin/behaviour", json={"seed": "x"}).status_code == 400


@pytest.mark.parametrize("key", ["bogus", "nowhere:invalid_client", "token:"])
def test_unknown_error_status_keys_are_refused_with_their_name(make_app: AppFactory, key: str) -> None:
    with pytest.raises(BehaviourError, match=f"error_status key '{key}'"):
        make_app(base_behaviour(error_status={key: 400}))


def test_error_status_must_be_an_error_code(make_app: AppFactory) -> None:
    with pytest.raises(BehaviourError, match="error_status"):
        make_app(base_behaviour(error_status={"invalid_client": 200}))
