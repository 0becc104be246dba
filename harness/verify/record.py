"""`harness mock ansira --record-from BASE --cassette FILE`: a proxy that forwards every request to the real
service and records the normalised pair (see cassette.py), saving the cassette after each one."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import requests
from flask import Flask
from werkzeug.wrappers import Request, Response

from harness.http import ansira_session
from harness.mockclients import HEALTH
from harness.redact import REDACTOR
from harness.verify import cassette as cs
from harness.verify.bodies import read_body
from mock_ansira import create_app

FORWARD_HEADERS = ("Content-Type", "Authorization", "Accept", "X-Enrichsim-Request-Id")


class RecordingProxy:
    """A WSGI app; `/__admin/health` answers locally (readiness), everything else goes to `base_url`."""

    def __init__(self, base_url: str, cassette_path: str, *, keep_emails: bool = False,
                 mock: Flask | None = None) -> None:
        self.mock = mock if mock is not None else create_app()  # answers what is never forwarded (a 413)
        self.config = self.mock.config  # the server frames bodies by mock Ansira's limit (harness/framing.py)
        self.base_url = base_url.rstrip("/")
        self.path = cassette_path
        self.keep_emails = keep_emails
        self.session = ansira_session(self.base_url)
        self.issued: set[str] = set()
        self.secrets: set[str] = set()  # every credential value this proxy saw, scrubbed from the file as a last pass
        self.doc = cs.new_cassette(REDACTOR.url(self.base_url), keep_emails)
        self._lock = threading.Lock()
        cs.save(self.path, self.doc, self.secrets)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = Request(environ)
        if req.path == HEALTH:
            body = {"status": "ok", "mode": "record", "recorded": len(self.doc["interactions"])}
            return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        if req.path.startswith("/__admin"):  # the real service has no admin API; never forward one there
            body = {"error": "not_found", "error_description": f"the recording proxy has no {req.path}"}
            return Response(json.dumps(body), status=404, mimetype="application/json")(environ, start_response)
        data, too_big = read_body(environ)
        if too_big:  # mock Ansira's 413: a body the real service would refuse is not worth sending it
            return self.mock(environ, start_response)
        return self._forward(req, data)(environ, start_response)

    def _forward(self, req: Request, body: bytes) -> Response:
        headers = {h: req.headers[h] for h in FORWARD_HEADERS if h in req.headers}
        self._note_credentials(req, body)
        try:
            upstream = self.session.request(req.method, req.path, params=req.query_string or None,
                                            data=body or None, headers=headers, allow_redirects=False)
        except requests.RequestException as exc:
            text = REDACTOR(f"recording proxy: {self.base_url} did not answer: {type(exc).__name__}: {exc}")
            return Response(json.dumps({"error": "bad_gateway", "error_description": text}), status=502,
                            mimetype="application/json")
        self._note_tokens(upstream.content)
        self._record(req, body, upstream)
        kept = [(k, v) for k, v in upstream.headers.items() if k.lower() in cs.KEEP_HEADERS]
        return Response(upstream.content, status=upstream.status_code, headers=kept)

    def _note_credentials(self, req: Request, body: bytes) -> None:
        values = [v for k, v in req.args.items(multi=True) if k.lower() in cs.TOKEN_PARAMS | cs.SECRET_PARAMS]
        basic = cs.basic_client(req.headers.get("Authorization"))
        if basic:
            values.append(basic[1])
        if req.mimetype == "application/x-www-form-urlencoded":
            values += [v for k, v in req.form.items(multi=True) if k.lower() in cs.TOKEN_PARAMS | cs.SECRET_PARAMS]
        elif body:
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                parsed = None
            if isinstance(parsed, dict):
                values += [v for k, v in parsed.items()
                           if k.lower() in cs.TOKEN_PARAMS | cs.SECRET_PARAMS and isinstance(v, str)]
        scheme, _, bearer = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            values.append(bearer.strip())
        self.secrets.update(v for v in values if v)
        REDACTOR.add(*values)

    def _note_tokens(self, content: bytes) -> None:
        try:
            parsed = json.loads(content)
        except (ValueError, RecursionError):
            return
        if isinstance(parsed, dict):
            for key in cs.TOKEN_PARAMS:
                if isinstance(parsed.get(key), str):
                    self.issued.add(parsed[key])
                    self.secrets.add(parsed[key])
                    REDACTOR.add(parsed[key])

    def _record(self, req: Request, body: bytes, upstream: requests.Response) -> None:
        refused = _error_code(upstream.content) == "invalid_client"
        request = cs.normalise_request(
            req.method, req.path, req.query_string, req.headers, body,
            token=lambda t: cs.ISSUED if t in self.issued else cs.UNKNOWN,
            secret=lambda _cid, _s: cs.REFUSED if refused else cs.ACCEPTED, keep_emails=self.keep_emails)
        response = {"status": upstream.status_code,
                    "headers": {k: v for k, v in upstream.headers.items() if k.lower() in cs.KEEP_HEADERS},
                    **cs.response_body(upstream.content, self.keep_emails)}
        with self._lock:
            self.doc["interactions"].append({"request": request, "response": response})
            cs.save(self.path, self.doc, self.secrets)

    def close(self) -> None:
        self.session.close()


def _error_code(content: bytes) -> str | None:
    try:
        parsed = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return parsed.get("error") if isinstance(parsed, dict) else None
