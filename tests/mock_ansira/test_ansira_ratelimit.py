from __future__ import annotations

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
from flask.testing import FlaskClient

from mock_ansira.behaviour import FixedWindowLimit, TokenBucketLimit
from mock_ansira.ratelimit import FixedWindow, TokenBucket


def test_token_bucket_allows_burst_then_refills() -> None:
    bucket = TokenBucket(TokenBucketLimit(kind="token_bucket", rate=2, burst=3), now=0.0)
    assert [bucket.acquire(0.0).allowed for _ in range(4)] == [True, True, True, False]
    denied = bucket.acquire(0.0)
    assert denied.retry_after_s == pytest.approx(0.5) and denied.retry_after == 1
    assert denied.remaining == 0 and denied.limit == 3
    assert bucket.acquire(0.49).allowed is False
    assert bucket.acquire(0.5).allowed is True
    assert bucket.acquire(100.0).remaining == 2  # refilled to burst, minus this request


def test_token_bucket_retry_after_rounds_up_to_whole_seconds() -> None:
    bucket = TokenBucket(TokenBucketLimit(kind="token_bucket", rate=0.4, burst=1), now=0.0)
    assert bucket.acquire(0.0).allowed
    denied = bucket.acquire(0.0)
    assert denied.retry_after_s == pytest.approx(2.5)
    assert denied.headers()["Retry-After"] == "3"
    assert denied.headers()["X-RateLimit-Reset"] == "3"


def test_fixed_window_counts_per_window() -> None:
    window = FixedWindow(FixedWindowLimit(kind="fixed_window", limit=2, window_s=10), now=100.0)
    assert [window.acquire(101.0).allowed for _ in range(3)] == [True, True, False]
    denied = window.acquire(104.0)
    assert denied.retry_after_s == pytest.approx(6.0)
    assert denied.headers() == {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0",
                                "X-RateLimit-Reset": "6", "Retry-After": "6"}
    assert window.acquire(110.0).allowed is True


def limited_app(make_app: AppFactory, rate_limit: dict[str, Any], **client: Any) -> FlaskClient:
    doc = base_behaviour(clients=[
        {"client_id": CLIENT_ID, "client_secret": SECRET, "rate_limit": rate_limit, **client},
        {"client_id": "other", "client_secret": "other-secret"},
    ])
    return make_app(doc).test_client()


def test_user_api_429_with_retry_after_from_token_bucket(make_app: AppFactory, clock: FakeClock) -> None:
    client = limited_app(make_app, {"kind": "token_bucket", "rate": 1, "burst": 2})
    token = get_token(client)
    ok = [client.post(USER_PATH, query_string={"access_token": token}, json=user_body(f"u{i}@example.com"))
          for i in range(2)]
    assert [r.status_code for r in ok] == [201, 201]
    assert ok[0].headers["X-RateLimit-Limit"] == "2" and ok[1].headers["X-RateLimit-Remaining"] == "0"
    limited = client.post(USER_PATH, query_string={"access_token": token}, json=user_body("u2@example.com"))
    assert limited.status_code == 429
    assert limited.json["error"] == "rate_limited"
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert journal(client)[-1]["retry_after"] == 1.0
    assert journal(client)[-1]["email"] == "u2@example.com"  # a refused call still names its user
    clock.advance(1.0)
    again = client.post(USER_PATH, query_string={"access_token": token}, json=user_body("u2@example.com"))
    assert again.status_code == 201
    # Another client's token is not limited by this client's bucket.
    other = get_token(client, "other", "other-secret")
    assert client.get("/service/api/v2/sourcecodes", query_string={"access_token": other}).status_code == 200


def test_429_without_headers_when_the_limit_hides_them(make_app: AppFactory) -> None:
    client = limited_app(make_app, {"kind": "fixed_window", "limit": 1, "window_s": 60, "headers": False})
    token = get_token(client)
    assert client.get("/service/api/v2/sourcecodes", query_string={"access_token": token}).status_code == 200
    resp = client.get("/service/api/v2/sourcecodes", query_string={"access_token": token})
    assert resp.status_code == 429
    assert not [h for h, _ in resp.headers if h.lower().startswith(("retry-after", "x-ratelimit"))]
    assert journal(client)[-1]["retry_after"] is None


def test_rate_limit_spans_user_operations_of_one_client(make_app: AppFactory) -> None:
    client = limited_app(make_app, {"kind": "fixed_window", "limit": 2, "window_s": 60})
    token = get_token(client)
    q = {"access_token": token}
    statuses = [
        client.post(USER_PATH, query_string=q, json=user_body()).status_code,
        client.get("/service/api/v2/users", query_string={**q, "email": "jane@example.com"}).status_code,
        client.get("/service/api/v2/sourcecodes", query_string=q).status_code,
    ]
    assert statuses == [201, 200, 429]
    assert get_token(client)  # the token endpoint has its own (here: no) limit


def test_token_endpoint_limit_is_optional_and_separate(make_app: AppFactory, clock: FakeClock) -> None:
    client = limited_app(make_app, {"kind": "fixed_window", "limit": 100, "window_s": 60},
                         token_rate_limit={"kind": "fixed_window", "limit": 1, "window_s": 30})
    get_token(client)
    resp = client.post(TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                         "client_secret": SECRET})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "30"
    assert resp.headers["Cache-Control"] == "no-store"
    clock.advance(30)
    assert get_token(client)


def test_behaviour_change_restarts_limits(make_app: AppFactory) -> None:
    client = limited_app(make_app, {"kind": "fixed_window", "limit": 1, "window_s": 60})
    token = get_token(client)
    q = {"access_token": token}
    assert client.get("/service/api/v2/sourcecodes", query_string=q).status_code == 200
    assert client.get("/service/api/v2/sourcecodes", query_string=q).status_code == 429
    patch = {"clients": [{"client_id": CLIENT_ID, "rate_limit": {"kind": "token_bucket", "rate": 5, "burst": 5}}]}
    assert client.patch("/__admin/behaviour", json=patch).status_code == 200
    statuses = [client.get("/service/api/v2/sourcecodes", query_string=q).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
