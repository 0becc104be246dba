"""`harness mock ansira --replay FILE [--strict]`: answer recorded requests with their recorded responses.

A request is normalised the way the recorder stored it (cassette.py) and looked up by method, path, query, body
and credential labels. Repeated identical requests get the recorded responses in order (the last one repeats), so
"the same email again" replays its 200 after the first 201. Unrecorded requests go to the wrapped mock Ansira, or,
with `strict`, get 501 with the nearest recorded requests. A recorded token answer hands out a token the wrapped
mock really issued, so later unrecorded calls with it are accepted there.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask
from werkzeug.wrappers import Request, Response

from harness.verify import cassette as cs
from harness.verify.bodies import read_body
from mock_ansira.app import get_backend

NEAREST = 3


class Replayer:
    def __init__(self, doc: Mapping[str, Any], mock: Flask, *, strict: bool = False) -> None:
        self.mock = mock
        self.backend = get_backend(mock)
        self.strict = strict
        self.keep_emails = doc["emails"] == "kept"
        self.recorded: dict[str, list[dict[str, Any]]] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        for item in doc["interactions"]:
            key = cs.match_key(item["request"])
            self.recorded.setdefault(key, []).append(item["response"])
            self.requests.setdefault(key, item["request"])
        self._cursor: dict[str, int] = {}
        self._lock = threading.Lock()
        self.config = mock.config  # the server frames bodies by the mock's MAX_CONTENT_LENGTH (harness/framing.py)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = Request(environ)
        if req.path.startswith("/__admin") or req.path == "/openapi.json":
            return self.mock(environ, start_response)
        body, too_big = read_body(environ)  # put back: the mock may still need to read it
        if too_big:
            return self.mock(environ, start_response)  # its 413, as without a cassette
        seen: dict[str, str] = {}
        normalised = cs.normalise_request(req.method, req.path, req.query_string, req.headers, body,
                                          token=self._token_label, secret=self._secret_label,
                                          keep_emails=self.keep_emails, seen=seen)
        key = cs.match_key(normalised)
        with self._lock:
            responses = self.recorded.get(key)
            if responses:
                n = self._cursor.get(key, 0)
                self._cursor[key] = n + 1
                recorded = responses[min(n, len(responses) - 1)]
        if responses:
            return self._answer(recorded, req, body, seen)(environ, start_response)
        if self.strict:
            return self._near_miss(normalised)(environ, start_response)
        return self.mock(environ, start_response)

    def _token_label(self, token: str) -> str:
        state, _ = self.backend.check_token(token)
        return cs.ISSUED if state == "live" else cs.UNKNOWN

    def _secret_label(self, client_id: str | None, secret: str) -> str:
        return cs.ACCEPTED if client_id and self.backend.authenticate(client_id, secret) else cs.REFUSED

    def _answer(self, recorded: Mapping[str, Any], req: Request, body: bytes, seen: dict[str, str]) -> Response:
        for email in list(seen.values()):  # the service may echo an email lowercased
            seen.setdefault(cs.hash_email(email.lower()), email.lower())
        headers = dict(recorded.get("headers") or {})
        if "json" in recorded:
            payload = self._unmask(self._fresh_tokens(recorded["json"], req, body), seen)
            content = json.dumps(payload).encode()
        else:
            content = self._unmask(recorded.get("text", ""), seen).encode()
        return Response(content, status=recorded["status"], headers=headers)

    def _fresh_tokens(self, value: Any, req: Request, body: bytes) -> Any:
        """Replace each `<token:issued>` with a token the wrapped mock issues now, for the request's client."""
        if isinstance(value, dict):
            return {k: self._issue(req, body) if v == cs.ISSUED else self._fresh_tokens(v, req, body)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self._fresh_tokens(v, req, body) for v in value]
        return value

    def _issue(self, req: Request, body: bytes) -> str:
        basic = cs.basic_client(req.headers.get("Authorization"))
        client_id = basic[0] if basic else (req.values.get("client_id") or _json_field(body, "client_id"))
        client = self.backend.behaviour.client(client_id) if client_id else None
        client = client or self.backend.behaviour.clients[0]
        token, _ = self.backend.issue_token(client, tuple(client.scopes))
        return token

    def _unmask(self, value: Any, seen: Mapping[str, str]) -> Any:
        if isinstance(value, str):
            for hashed, email in seen.items():
                value = value.replace(hashed, email)
            return value
        if isinstance(value, list):
            return [self._unmask(v, seen) for v in value]
        if isinstance(value, dict):
            return {k: self._unmask(v, seen) for k, v in value.items()}
        return value

    def _near_miss(self, normalised: Mapping[str, Any]) -> Response:
        """501 naming the closest recorded requests, as WireMock's near-miss list does."""
        key = cs.match_key(normalised)
        ranked = sorted(((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in self.requests), reverse=True)
        body = {"error": "not_recorded",
                "error_description": f"no recorded request matches {normalised['method']} {normalised['path']} "
                                     "(--strict); the nearest recorded requests are listed",
                "request": normalised,
                "nearest": [{"similarity": round(score, 3), "request": self.requests[k]}
                            for score, k in ranked[:NEAREST]]}
        return Response(json.dumps(body), status=501, mimetype="application/json")


def _json_field(body: bytes, name: str) -> str | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    value = parsed.get(name) if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else None
