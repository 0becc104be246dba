from __future__ import annotations

import uuid
from typing import Any

import pytest
from ansira_helpers import (
    CLIENT_ID,
    SOURCE,
    USER_PATH,
    AppFactory,
    FakeClock,
    base_behaviour,
    get_token,
    journal,
    user_body,
)
from flask.testing import FlaskClient

from mock_ansira.contract import MAX_BODY_BYTES
from mock_ansira.users import user_uuid


@pytest.fixture
def token(client: FlaskClient) -> str:
    return get_token(client)


def post_user(client: FlaskClient, token: str, body: Any, path: str = USER_PATH, **kwargs: Any) -> Any:
    return client.post(path, query_string={"access_token": token}, json=body, **kwargs)


def test_create_then_upsert_by_email_case_insensitive(client: FlaskClient, token: str) -> None:
    first = post_user(client, token, user_body("Jane.Doe@Example.com", firstName="Jane"))
    assert first.status_code == 201
    user = first.json
    assert user["email"] == "jane.doe@example.com"
    assert user["firstName"] == "Jane"
    assert user["sourceCode"]["keyName"] == SOURCE
    assert user["enabled"] is True and isinstance(user["id"], int)
    assert user["createdAt"].endswith("Z") and user["updatedAt"] == user["createdAt"]
    again = post_user(client, token, user_body("jane.doe@EXAMPLE.com"), path="/service/api/v2/users")
    assert again.status_code == 200
    assert again.json["id"] == user["id"] and again.json["uuid"] == user["uuid"]


def test_uuid_is_v1_shaped_and_stable_per_seed_and_email(make_app: AppFactory) -> None:
    def uuid_for(seed: int, email: str) -> str:
        client = make_app(base_behaviour(seed=seed)).test_client()
        return str(post_user(client, get_token(client), user_body(email)).json["uuid"])

    a = uuid_for(7, "a@example.com")
    parsed = uuid.UUID(a)
    assert parsed.version == 1 and parsed.variant == uuid.RFC_4122
    assert a == uuid_for(7, "A@example.com") == user_uuid(7, "a@example.com")
    assert a != uuid_for(8, "a@example.com")
    assert a != uuid_for(7, "b@example.com")


def test_config_seed_applies_when_behaviour_has_none(make_app: AppFactory) -> None:
    doc = base_behaviour()
    del doc["seed"]
    client = make_app(doc, SEED=42).test_client()
    assert post_user(client, get_token(client), user_body()).json["uuid"] == user_uuid(42, "jane@example.com")


def test_profile_fields_are_kept_and_pets_counted(client: FlaskClient, token: str) -> None:
    body = user_body(
        firstName="John", lastName="Connor", subscriptions=["PE", "PU"], petOwnershipPlan={"keyName": "DOG"},
        address={"postalCode": "75001"}, pets=[{"name": "Rex", "petType": {"keyName": "DOG"}}],
        unknownTopLevel={"ignored": True},
    )
    user = post_user(client, token, body).json
    assert user["subscriptions"] == ["PE", "PU"]
    assert user["address"] == {"postalCode": "75001"}
    assert (user["dogCount"], user["catCount"], user["totalPets"]) == (1, 0, 1)
    assert "unknownTopLevel" not in user


def test_existing_user_keeps_its_data_and_gains_missing_fields(client: FlaskClient, token: str) -> None:
    post_user(client, token, user_body(firstName="Jane"))
    user = post_user(client, token, user_body(firstName="Other", pets=[{"name": "Tom", "petType": {"keyName": "CAT"}}]))
    assert user.status_code == 200
    assert user.json["firstName"] == "Jane"
    assert [p["name"] for p in user.json["pets"]] == ["Tom"]
    assert user.json["catCount"] == 1


def test_known_users_are_enriched_and_keep_their_data(make_app: AppFactory, clock: FakeClock) -> None:
    doc = base_behaviour(known_users={"count": 3, "emails": ["Known@Example.com"]})
    client = make_app(doc).test_client()
    token = get_token(client)
    users = client.get("/__admin/users").json
    assert len(users) == 4
    known = next(u for u in users if u["email"] == "known@example.com")
    assert known["firstName"] and known["address"]["city"] and known["subscriptions"]
    assert known["petOwnershipPlan"]["keyName"] in {"DOG", "CAT", "BOTH", "NONE"}
    resp = post_user(client, token, user_body("known@example.com", firstName="Changed", address={"city": "X"}))
    assert resp.status_code == 200
    assert resp.json["firstName"] == known["firstName"]
    assert resp.json["address"] == known["address"]
    assert resp.json["uuid"] == known["uuid"] == user_uuid(7, "known@example.com")
    assert resp.json["lastSourceCode"]["keyName"] == SOURCE
    # Same seed, fresh app: identical known users (the Faker data is a function of seed and email).
    clock.advance(1000)
    again = make_app(doc).test_client().get("/__admin/users").json
    assert again == users


def test_list_users_by_email(client: FlaskClient, token: str) -> None:
    created = post_user(client, token, user_body()).json
    resp = client.get("/service/api/v2/users", query_string={"email": "JANE@example.com", "access_token": token})
    assert resp.status_code == 200 and resp.json == [created]
    none = client.get("/service/api/v2/users", query_string={"email": "x@example.com", "access_token": token})
    assert none.json == []
    missing = client.get("/service/api/v2/users", query_string={"access_token": token})
    assert missing.status_code == 400 and missing.json["problems"][0]["path"] == "email"
    by_id = client.get(f"/service/api/v2/users/{created['id']}", query_string={"access_token": token})
    assert by_id.json == created
    assert client.get("/service/api/v2/users/1", query_string={"access_token": token}).status_code == 404


def test_reference_data(client: FlaskClient, token: str) -> None:
    codes = client.get("/service/api/v2/sourcecodes", headers={"Authorization": f"Bearer {token}"})
    assert codes.json == [{"id": 1, "keyName": SOURCE, "name": SOURCE}]
    one = client.get("/service/api/v2/pettypes/2", query_string={"access_token": token})
    assert one.json["keyName"] == "CAT"
    assert client.get("/service/api/v2/pettypes/99", query_string={"access_token": token}).status_code == 404
    assert client.get("/service/api/v2/sourcecodes").status_code == 401


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        pytest.param({"data": "{not json", "content_type": "application/json"}, "$", id="bad-json"),
        pytest.param({"data": b"\xff\xfe", "content_type": "application/json"}, "$", id="not-utf8"),
        pytest.param({"data": '{"email": NaN}', "content_type": "application/json"}, "$", id="nan"),
        pytest.param({"data": "email=a@b.com", "content_type": "application/x-www-form-urlencoded"}, "$",
                     id="wrong-content-type"),
        pytest.param({"json": [user_body()]}, "$", id="array-body"),
        pytest.param({"json": {"sourceCode": {"keyName": SOURCE}}}, "email", id="missing-email"),
        pytest.param({"json": user_body(firstName=5)}, "firstName", id="wrong-type"),
        pytest.param({"json": user_body(address={"postalCode": 75001})}, "address.postalCode", id="nested-type"),
        pytest.param({"json": {"email": "a@example.com", "sourceCode": "X"}}, "sourceCode", id="sourcecode-string"),
        pytest.param({"json": user_body("Bob <bob@example.com>")}, "email", id="display-name-email"),
        pytest.param({"json": user_body("not-an-email")}, "email", id="invalid-email"),
        pytest.param({"json": {"email": "a@example.com", "sourceCode": {"keyName": "INVALID"}}},
                     "sourceCode.keyName", id="unknown-source-code"),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(client: FlaskClient, token: str, kwargs: Any, path: str) -> None:
    resp = client.post(USER_PATH, query_string={"access_token": token}, **kwargs)
    assert resp.status_code == 400
    assert resp.json["error"] == "invalid_request"
    assert path in [p["path"] for p in resp.json["problems"]]
    assert client.get("/__admin/health").json["users"] == 0


def test_body_over_limit_is_413_by_content_length(client: FlaskClient, token: str) -> None:
    big = '{"email": "a@example.com", "pad": "' + "x" * MAX_BODY_BYTES + '"}'
    resp = client.post(USER_PATH, query_string={"access_token": token}, data=big, content_type="application/json")
    assert resp.status_code == 413 and resp.json["error"] == "payload_too_large"
    assert journal(client)[-1]["status"] == 413


@pytest.mark.parametrize(
    ("params", "headers", "status", "error"),
    [
        pytest.param({}, {}, 401, "invalid_token", id="missing"),
        pytest.param({"access_token": "nope"}, {}, 401, "invalid_token", id="unknown-query"),
        pytest.param({}, {"Authorization": "Bearer nope"}, 401, "invalid_token", id="unknown-header"),
        pytest.param({}, {"Authorization": "Basic abc"}, 401, "invalid_token", id="other-scheme"),
        pytest.param({"access_token": ["a", "b"]}, {}, 400, "invalid_request", id="two-query-tokens"),
    ],
)
def test_bad_tokens(client: FlaskClient, params: Any, headers: Any, status: int, error: str) -> None:
    resp = client.post(USER_PATH, query_string=params, headers=headers, json=user_body())
    assert resp.status_code == status and resp.json["error"] == error
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith('Bearer realm="ansira", error="invalid_token"')


def test_query_and_header_token_must_agree(client: FlaskClient, token: str) -> None:
    same = client.post(USER_PATH, query_string={"access_token": token}, headers={"Authorization": f"Bearer {token}"},
                       json=user_body())
    assert same.status_code == 201
    other = get_token(client)
    resp = client.post(USER_PATH, query_string={"access_token": token}, headers={"Authorization": f"Bearer {other}"},
                       json=user_body())
    assert resp.status_code == 400


def test_expired_token_is_401(client: FlaskClient, token: str, clock: FakeClock) -> None:
    assert post_user(client, token, user_body()).status_code == 201
    clock.advance(3600)
    resp = post_user(client, token, user_body())
    assert resp.status_code == 401 and "expired" in resp.json["error_description"]


def test_revoked_token_is_401(client: FlaskClient, token: str) -> None:
    assert client.post("/__admin/tokens/revoke", json={"client_id": CLIENT_ID}).json == {"revoked": 1}
    resp = post_user(client, token, user_body())
    assert resp.status_code == 401 and "revoked" in resp.json["error_description"]
    assert post_user(client, get_token(client), user_body()).status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/service/api/v2/user", 405, id="get-singular"),
        pytest.param("DELETE", "/service/api/v2/users", 405, id="delete-plural"),
        pytest.param("PUT", "/service/api/v2/user", 405, id="put-singular"),
        pytest.param("GET", "/service/api/v3/users", 404, id="wrong-version"),
        pytest.param("GET", "/", 404, id="root"),
        pytest.param("POST", "/service/api/v2/unknown", 404, id="unknown-resource"),
    ],
)
def test_unknown_routes_and_methods_are_json(client: FlaskClient, method: str, path: str, status: int) -> None:
    resp = client.open(path, method=method)
    assert resp.status_code == status
    assert resp.is_json and resp.json["error"] in {"not_found", "method_not_allowed"}
    if status == 405:
        assert "POST" in resp.headers["Allow"]
    entry = journal(client)[-1]
    assert entry["status"] == status
    assert entry["operation"] == ("method_not_allowed" if status == 405 else "not_found")


SCOPED = {"clients": [{"client_id": CLIENT_ID, "client_secret": "s3cret-value-for-tests",
                       "scopes": ["users.read", "users.write"]}],
          "required_scopes": {"create_user": "users.write", "list_users": "users.read"}}


@pytest.mark.parametrize(
    ("requested", "status"),
    [(None, 201), ("users.write", 201), ("users.read", 403)],
    ids=["all-granted-scopes", "the-needed-scope", "another-scope-only"],
)
def test_required_scopes(make_app: AppFactory, requested: str | None, status: int) -> None:
    client = make_app(base_behaviour(**SCOPED)).test_client()
    grant = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "s3cret-value-for-tests",
             **({"scope": requested} if requested else {})}
    token = client.post("/service/oauth/v2/token", data=grant).json["access_token"]
    resp = post_user(client, token, user_body("scoped@example.com"))
    assert resp.status_code == status, resp.json
    if status == 403:
        assert resp.json["error"] == "insufficient_scope"
        assert "needs scope 'users.write'; the token was granted: users.read" in resp.json["error_description"]
        assert 'error="insufficient_scope", scope="users.write"' in resp.headers["WWW-Authenticate"]
        assert client.get("/service/api/v2/users", query_string={"access_token": token, "email": "x@example.com"}
                          ).status_code == 200  # list_users needs users.read, which it has
        assert journal(client)[-2]["status"] == 403


def test_required_scopes_name_known_operations(make_app: AppFactory) -> None:
    from mock_ansira.behaviour import BehaviourError

    with pytest.raises(BehaviourError, match="required_scopes"):
        make_app(base_behaviour(required_scopes={"delete_everything": "x"}))


@pytest.mark.parametrize("body", [
    b'{"email": "a\\ud800@x.com", "sourceCode": {"keyName": "LYTICS2024"}}',
    b'{"email": "a@x.com", "sourceCode": {"keyName": "LYTICS2024"}, "firstName": "\\udc54"}',
    b'{"\\ud800": 1, "email": "a@x.com", "sourceCode": {"keyName": "LYTICS2024"}}',
], ids=["in-the-email", "in-a-field", "in-a-key"])
def test_an_unpaired_surrogate_escape_is_invalid_json(client: FlaskClient, token: str, body: bytes) -> None:
    resp = client.post(USER_PATH, query_string={"access_token": token}, data=body, content_type="application/json")
    assert resp.status_code == 400
    assert "surrogate" in resp.json["problems"][0]["message"]


def test_a_surrogate_pair_escape_is_one_character(client: FlaskClient, token: str) -> None:
    body = b'{"email": "a@x.com", "sourceCode": {"keyName": "LYTICS2024"}, "firstName": "\\ud83d\\ude00"}'
    resp = client.post(USER_PATH, query_string={"access_token": token}, data=body, content_type="application/json")
    assert resp.status_code == 201 and resp.json["firstName"] == "\U0001f600"
