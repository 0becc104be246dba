"""The console's routes through Flask's test client: the key gate, the cookie it leaves, profile lookup input."""

from __future__ import annotations

from harness.pictures.console import COOKIE, create_app
from harness.pictures.console_data import Sources

KEY = "adm-console-unit-key"


def _outcomes() -> list[dict]:
    return [{"trigger_ts": 1_800_000_000.0, "done_ts": 1_800_000_001.0, "status": "enriched", "latency_ms": 1000.0}]


def test_the_key_becomes_a_cookie_and_leaves_the_url() -> None:
    client = create_app(Sources(admin_key=KEY, outcomes=_outcomes)).test_client()
    assert client.get("/").status_code == 401
    assert client.get("/api/state").status_code == 401
    assert client.get("/?key=nope").status_code == 401
    resp = client.get(f"/?key={KEY}")
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert KEY not in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and COOKIE in cookie
    page = client.get("/")  # the cookie now opens it
    assert page.status_code == 200 and b"EnrichsimCharts" in page.data
    state = client.get("/api/state").json
    assert state["jobs"] == [] and state["journal"] == [] and state["problems"] == []
    assert state["timeline"]["users"]["enriched"][-1] == 1  # the runner's outcomes, in-process


def test_header_key_and_open_console() -> None:
    keyed = create_app(Sources(admin_key=KEY)).test_client()
    assert keyed.get("/api/state", headers={"X-Admin-Key": KEY}).status_code == 200
    assert keyed.get("/api/state", headers={"X-Admin-Key": KEY + "x"}).status_code == 401
    open_ = create_app(Sources()).test_client()  # no admin key configured: nothing to ask for
    assert open_.get("/").status_code == 200


def test_profile_lookup_wants_an_email() -> None:
    client = create_app(Sources()).test_client()
    assert client.get("/api/profile").status_code == 400
    assert client.get("/api/profile?email=nobody").status_code == 400
    resp = client.get("/api/profile?email=a@example.com")  # no Lytics behind this console
    assert resp.status_code == 200 and resp.json["status"] == 503
