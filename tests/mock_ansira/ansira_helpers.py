"""Helpers shared by the mock_ansira tests (a uniquely named module: test dirs have no __init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

CLIENT_ID = "lytics"
SECRET = "s3cret-value-for-tests"
SOURCE = "LYTICS2024"
TOKEN_PATH = "/service/oauth/v2/token"
USER_PATH = "/service/api/v2/user"

AppFactory = Callable[..., Flask]


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SleepRecorder:
    """Stands in for time.sleep: records what the mock wanted to sleep and advances the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)


def base_behaviour(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "seed": 7,
        "clients": [{"client_id": CLIENT_ID, "client_secret": SECRET}],
        "source_codes": [SOURCE],
        "known_users": {"count": 0},
    }
    doc.update(overrides)
    return doc


def get_token(client: FlaskClient, client_id: str = CLIENT_ID, secret: str = SECRET) -> str:
    resp = client.post(
        TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    assert resp.status_code == 200, resp.json
    return str(resp.json["access_token"])


def user_body(email: str = "jane@example.com", **extra: Any) -> dict[str, Any]:
    return {"email": email, "sourceCode": {"keyName": SOURCE}, **extra}


def journal(client: FlaskClient) -> list[dict[str, Any]]:
    return list(client.get("/__admin/journal?limit=100000").json["entries"])
