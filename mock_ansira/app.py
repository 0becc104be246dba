"""`create_app`: the Flask factory, the one error renderer, response-stage faults and the journal wrapper."""

from __future__ import annotations

import logging
import re
import socket
import struct
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as RoutingMethodNotAllowed

from mock_ansira import apidocs, http
from mock_ansira.behaviour import Fault, load_behaviour
from mock_ansira.bodies import TeeInput, excerpt
from mock_ansira.contract import MAX_BODY_BYTES
from mock_ansira.errors import AnsiraError, DropConnection, InjectedFault, MethodNotAllowed, NotFound
from mock_ansira.http import DROP_KEY, RECORD_KEY
from mock_ansira.models import AnsiraBackend
from mock_ansira.openapi import build_openapi
from mock_ansira.ratelimit import Decision
from mock_ansira.routes import BLUEPRINTS, OPERATIONS

BODY_CAP_KEY = "mock_ansira.body_cap"

DEFAULTS: dict[str, Any] = {
    "BEHAVIOUR": None,
    "SEED": 0,
    "ADMIN_KEY": None,
    "JOURNAL_CAPACITY": 100_000,
    "JOURNAL_BODIES": 1000,  # the newest N journal entries keep request and response bodies; 0 turns bodies off
    "JOURNAL_BODY_MAX": 4096,  # bytes of each body kept
    "CLOCK": None,  # callable -> epoch seconds; tests pass a fake clock
    "SLEEP": None,  # callable(seconds); tests pass a recorder instead of sleeping
    "PUBLIC_URL": None,  # the base URL other hosts reach this mock at; /__admin/health shows the URLs built on it
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a mock Ansira: defaults, then MOCK_ANSIRA_* environment variables, then `config`.

    :raises BehaviourError: when config["BEHAVIOUR"] does not validate (the message names each path).
    """
    app = Flask("mock_ansira")
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("MOCK_ANSIRA")
    if config:
        app.config.from_mapping(config)
    # Bound every body (token and admin included); +1 lets an endpoint read one byte past the limit and say so.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + 1
    backend = AnsiraBackend(
        load_behaviour(app.config["BEHAVIOUR"]),
        seed=int(app.config["SEED"]),
        clock=app.config["CLOCK"] or time.time,
        sleep=app.config["SLEEP"],
        journal_capacity=int(app.config["JOURNAL_CAPACITY"]),
        journal_bodies=int(app.config["JOURNAL_BODIES"]),
    )
    app.extensions["mock_ansira"] = backend
    app.json.sort_keys = False  # type: ignore[attr-defined]
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.add_url_rule("/openapi.json", "openapi", _openapi)
    app.register_blueprint(apidocs.blueprint())
    app.register_error_handler(AnsiraError, _render_error)
    app.register_error_handler(DropConnection, _drop)
    app.register_error_handler(HTTPException, _render_http_error)
    app.before_request(_tag_request)
    app.after_request(_finish_response)
    body_max = int(app.config["JOURNAL_BODY_MAX"]) if int(app.config["JOURNAL_BODIES"]) > 0 else 0
    app.wsgi_app = JournalMiddleware(app.wsgi_app, backend, body_max)  # type: ignore[method-assign]
    redact_server_log()
    return app


_QUERY_SECRETS = re.compile(r"((?:access_token|client_secret|api_key|apikey|key)=)[^&\s\"]+", re.IGNORECASE)


class RedactQuerySecrets(logging.Filter):
    """Werkzeug's server logs each request line with its query string, and Lytics sends `?access_token=`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _QUERY_SECRETS.sub(r"\1[redacted]", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY_SECRETS.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def redact_server_log() -> None:
    """Install the filter on the `werkzeug` logger once per process."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactQuerySecrets) for f in logger.filters):
        logger.addFilter(RedactQuerySecrets())


def get_backend(app: Flask) -> AnsiraBackend:
    return app.extensions["mock_ansira"]


def _openapi() -> Response:
    request.environ[RECORD_KEY]["journal"] = False
    return jsonify(build_openapi(current_app._get_current_object()))  # type: ignore[attr-defined]


def _tag_request() -> None:
    record = request.environ[RECORD_KEY]
    if request.path.startswith("/__admin"):
        record["journal"] = False
    elif request.url_rule is None:
        not_allowed = isinstance(request.routing_exception, RoutingMethodNotAllowed)
        record["operation"] = "method_not_allowed" if not_allowed else "not_found"
    else:
        record["operation"] = OPERATIONS.get(request.endpoint or "", request.endpoint)


def _render_error(error: AnsiraError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status_code
    record = request.environ.get(RECORD_KEY) or {}
    if record.get("journal", True) and not isinstance(error, InjectedFault):  # public API errors only
        behaviour = current_app.extensions["mock_ansira"].behaviour
        response.status_code = behaviour.status_for(record.get("operation"), error.error, error.status_code)
    response.headers.update(error.headers)
    return response


def _render_http_error(error: HTTPException) -> Response:
    """Routing errors as JSON: an unknown route is a loud 404, never an HTML page or a silent 200."""
    where = f"{request.method} {request.path}"
    if isinstance(error, RoutingMethodNotAllowed):
        allowed = sorted(m for m in error.valid_methods or () if m not in ("HEAD", "OPTIONS"))
        return _render_error(MethodNotAllowed(f"{where} is not allowed; use {', '.join(allowed)}", allowed=allowed))
    if error.code == 404:
        extra = {"method": request.method, "path": request.path}
        return _render_error(NotFound(f"no such endpoint: {where}", extra=extra))
    response = jsonify(
        {"error": (error.name or "error").lower().replace(" ", "_"), "error_description": error.description}
    )
    response.status_code = error.code or 500
    return response


def _drop(_: DropConnection) -> Response:
    request.environ[DROP_KEY] = True
    return Response(status=500)


def _finish_response(response: Response) -> Response:
    record = request.environ[RECORD_KEY]
    decision: Decision | None = g.get("ansira_rate")
    if decision is not None and decision.allowed:
        for key, value in decision.headers().items():
            response.headers.setdefault(key, value)
    if record.get("operation") == "token":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    fault: Fault | None = g.get("ansira_fault")
    if fault is not None and not request.environ.get(DROP_KEY):
        response = _response_fault(fault, response)
    cap = request.environ.get(BODY_CAP_KEY, 0)
    if cap and record.get("journal") and not response.is_streamed:
        record["response_body"] = excerpt(response.get_data(), cap)
    return response


def _response_fault(fault: Fault, response: Response) -> Response:
    """Faults that act after the work is done: the client loses or cannot parse a real answer."""
    if fault.kind in ("malformed_json", "truncated_json"):
        data = response.get_data().rstrip()
        if fault.kind == "truncated_json":
            data = data[: max(1, len(data) // 2)]
        else:
            data = data[:-1] + b",," + data[-1:] if data else b'{"'
        response.set_data(data)
        response.status_code = 200
        response.mimetype = "application/json"
        return response
    if fault.process and fault.kind == "timeout":
        http.backend().sleep(fault.hang_s or 0.0)
        if fault.then == "status":
            return _render_error(InjectedFault(fault.effective_status))
    if fault.process:
        request.environ[DROP_KEY] = True
    return response


class JournalMiddleware:
    """Times every request, journals it once, and turns a drop flag into a closed socket.

    A reset has to happen outside Flask: Flask would turn any exception into a 500 response.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], backend: AnsiraBackend, body_max: int = 0) -> None:
        self.app = app
        self.backend = backend
        self.body_max = body_max  # bytes of each body journaled; 0 = no bodies

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        record: dict[str, Any] = {
            "ts": self.backend.clock(),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "request_id": _request_id(environ),
            "journal": True,
        }
        environ[RECORD_KEY] = record
        tee = None
        if self.body_max and "wsgi.input" in environ:
            tee = environ["wsgi.input"] = TeeInput(environ["wsgi.input"], self.body_max)
            environ[BODY_CAP_KEY] = self.body_max
        generation = self.backend.generation
        started = time.perf_counter()
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured[:] = [status, headers, exc_info]
            return _no_write

        body = self.app(environ, capture)
        dropped = bool(environ.get(DROP_KEY))
        if record.pop("journal"):
            record["duration_ms"] = (time.perf_counter() - started) * 1000.0
            record["status"] = 0 if dropped else int(str(captured[0]).split(" ", 1)[0])
            if tee is not None:
                record["request_body"] = tee.text()
                if dropped:
                    record["response_body"] = None  # the client got no answer at all
            self.backend.record(record, generation)
        if dropped:
            if hasattr(body, "close"):
                body.close()
            _abort(environ)
            raise ConnectionResetError("connection closed without a response (simulated fault)")
        start_response(*captured)
        return body


REQUEST_ID_MAX = 128


def _request_id(environ: dict[str, Any]) -> str | None:
    """The client's X-Enrichsim-Request-Id, printable ASCII and bounded: it is echoed into the journal."""
    value = str(environ.get("HTTP_X_ENRICHSIM_REQUEST_ID") or "")[:REQUEST_ID_MAX]
    return value if value and value.isascii() and value.isprintable() else None


def _no_write(data: bytes) -> None:
    raise RuntimeError("the mock does not use the WSGI write() callable")


def _abort(environ: dict[str, Any]) -> None:
    """Make the peer see a dead connection at once: linger 0 (RST on close) and shut both directions."""
    sock = environ.get("werkzeug.socket")
    if not isinstance(sock, socket.socket):
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
