"""Flask app factory for mock Lytics: config, auth gates, one error handler, the blueprints."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from mock_lytics import apidocs
from mock_lytics.errors import MockApiError
from mock_lytics.faults import Faults
from mock_lytics.feed import DEFAULT_CAPACITY
from mock_lytics.http import EXTENSION, FAULTS_EXTENSION, check_admin_key, check_api_key, envelope
from mock_lytics.routes import BLUEPRINTS
from mock_lytics.store import Backend

log = logging.getLogger("mock_lytics")

DEFAULTS: dict[str, Any] = {
    "ADMIN_KEY": None,
    "FEED_CAPACITY": DEFAULT_CAPACITY,
    "MAX_BODY_BYTES": 10 * 1024 * 1024,
    "MAX_EVENT_BYTES": 1024 * 1024,
    "CLOCK": time.time,
    "IMMEDIATE_JOB_ACTIONS": False,
    "PERMISSIVE_TEMPLATE_API": False,
    "ALLOW_HTTP_HOSTS": (),
    "PUBLIC_URL": None,
}
# Routes that need no key: liveness and the API description.
OPEN_ENDPOINTS = frozenset({"admin.health", "meta.openapi"})
KEYED_PREFIXES = ("/api/", "/v2/", "/collect/", "/__admin")
# Every answer names the process's state (Backend.instance), so a client can tell a write that landed on a
# restarted, empty mock from one that landed where its job lives.
INSTANCE_HEADER = "X-Mock-Lytics-Instance"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a fresh mock with its own state. Config keys: API_KEY, ADMIN_KEY, FEED_CAPACITY, MAX_BODY_BYTES,
    MAX_EVENT_BYTES, CLOCK (a callable returning epoch seconds; tests inject a fake clock), and two opt-in
    permissive modes that are off by default so the mock is as strict as Lytics: IMMEDIATE_JOB_ACTIONS (pause and
    kill final at once, for use without a runner) and PERMISSIVE_TEMPLATE_API (what only the OpenAPI lists).
    ALLOW_HTTP_HOSTS names hosts (besides loopback) whose plain-http token and webhook URLs are accepted (service
    containers in CI; a string is split on commas); PUBLIC_URL is the base URL others reach this mock at, shown
    by /__admin/health."""
    app = Flask("mock_lytics")
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("MOCK_LYTICS")
    if config:
        app.config.update(config)
    if not app.config.get("API_KEY"):
        app.config["API_KEY"] = secrets.token_urlsafe(24)
    # Bound every body (not only collect's); +1 lets collect read one byte past its limit and say so itself.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_BODY_BYTES"]) + 1
    app.json.sort_keys = False  # type: ignore[attr-defined]
    clock = app.config["CLOCK"]
    app.extensions[EXTENSION] = Backend(clock=clock, feed_capacity=int(app.config["FEED_CAPACITY"]))
    app.extensions[EXTENSION].jobs.immediate_actions = bool(app.config["IMMEDIATE_JOB_ACTIONS"])
    hosts = app.config["ALLOW_HTTP_HOSTS"] or ()
    hosts = hosts.split(",") if isinstance(hosts, str) else hosts
    app.extensions[EXTENSION].catalog.http_hosts = frozenset(h.strip().lower() for h in hosts if h.strip())
    app.extensions[FAULTS_EXTENSION] = Faults(clock)

    @app.before_request
    def _gate() -> None:
        g.received = clock()
        if request.endpoint in OPEN_ENDPOINTS or request.blueprint == apidocs.BLUEPRINT:
            return
        if request.url_rule is None and not request.path.startswith(KEYED_PREFIXES):
            return  # outside the API: routing answers 404/405
        # Inside the API an unknown route or wrong method still needs the key first, as behind a gateway: an
        # unauthenticated caller learns nothing about which routes exist.
        if request.path.startswith("/__admin"):
            check_admin_key()
        else:
            check_api_key()

    @app.after_request
    def _instance(resp: Response) -> Response:
        resp.headers[INSTANCE_HEADER] = app.extensions[EXTENSION].instance
        return resp

    @app.errorhandler(MockApiError)
    def _api_error(exc: MockApiError) -> Response:
        return envelope(exc.data, exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 404:
            message = f"Not Found: no route {request.method} {request.path}"
        resp = envelope(None, status, message)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
            resp.set_data(envelope(None, 405, f"method {request.method} not allowed on {request.path}; "
                                             f"allowed: {', '.join(sorted(exc.valid_methods))}").get_data())
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return envelope(None, 500, f"internal error ({type(exc).__name__}); see the mock's log")

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(apidocs.blueprint())
    return app
