"""Shared helpers for the mock Lytics tests: a fake clock and a test-client wrapper that sends the API key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

API_KEY = "test-api-key-0123456789"
START = 1_700_000_000.0
TARGET_QL = "FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS ansira_enrichment_source"


class FakeClock:
    """Epoch seconds that move only when told to (each call ticks a microsecond, so events stay ordered)."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1e-6
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Api:
    """Flask test client that authenticates like a Lytics client (raw key in Authorization)."""

    def __init__(self, app: Flask, key: str = API_KEY) -> None:
        self.app = app
        self.client = app.test_client()
        self.key = key

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            headers.setdefault("Authorization", self.key)
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> TestResponse:
        return self.call("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.call("DELETE", path, **kw)

    def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        """Call and assert the status; return the envelope's data."""
        resp = self.call(method, path, **kw)
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.get_data(as_text=True)}"
        return resp.get_json()["data"] if resp.status_code != 204 else None

    def fail(self, method: str, path: str, status: int, **kw: Any) -> str:
        """Call, assert the error status and envelope shape; return the message."""
        resp = self.call(method, path, **kw)
        body = resp.get_json()
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {body}"
        assert body["status"] == status, body
        assert body["data"] is None or status == 410, body  # only the feed's 410 carries data
        return body["message"]

    # -- domain shortcuts -----------------------------------------------------------------------------
    def field(self, fid: str, ftype: str = "string", **attrs: Any) -> Any:
        return self.ok("POST", "/v2/schema/user/field", json={"id": fid, "type": ftype, **attrs})

    def mapping(self, fid: str, stream: str, expr: str, guard: str | None = None) -> Any:
        body = {"field": fid, "stream": stream, "expr": expr, **({"guard_expr": guard} if guard else {})}
        return self.ok("POST", "/v2/schema/user/mapping", json=body)

    def publish(self) -> Any:
        return self.ok("POST", "/v2/schema/user/publish", json={"tag": "t", "description": "test"})

    def collect(self, stream: str, events: Any, **params: Any) -> Any:
        return self.ok("POST", f"/collect/json/{stream}", json=events, query_string=params)

    def segment(self, ql: str) -> Any:
        return self.ok("POST", "/api/segment", data=ql, content_type="text/plain")

    def entity(self, field: str, value: str) -> Any:
        return self.ok("GET", f"/api/entity/user/{field}/{value}")

    def feed(self, after: int = 0, **params: Any) -> Any:
        return self.ok("GET", "/__admin/feed", query_string={"after": after, **params}, auth=False)

    def segment_events(self, after: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.feed(after, limit=10_000)["events"] if e["kind"] == "segment"]


def ansira_schema(api: Api) -> None:
    """The project's schema: email identifier from web and ansira streams, ansira_uuid from ansira."""
    api.field("email", is_identifier=True)
    api.field("ansira_uuid", mergeop="latest")
    api.mapping("email", "web", "email(email)")
    api.mapping("email", "ansira", "email(`origin.email`)")
    api.mapping("ansira_uuid", "ansira", "`response.uuid`")
    api.publish()


def moves(events: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(slug, enter|exit, profile_id) per segment event, in feed order."""
    return [(e["slug"], e["event"], e["profile_id"]) for e in events if e["kind"] == "segment"]
