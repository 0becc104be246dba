"""The runner's state over HTTP, so a scenario can be checked against a stack in another process.

`harness serve` mounts state_app() at /__runner on mock Lytics' port (admin key required); RemoteRunner reads it
back with the attributes the scenario engine reads from an in-process Runner (caught_up_to, idle, jobs,
outcomes, errors). `GET /__runner/state?parts=progress` is the cheap poll (cursor, idle, job statuses);
without `parts` the answer also carries every outcome and request log.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from harness.redact import REDACTOR
from harness.runner import Runner

MOUNT = "/__runner"


def state_document(runner: Runner, *, full: bool) -> dict[str, Any]:
    jobs = dict(runner.jobs)
    doc: dict[str, Any] = {
        "cursor": runner.cursor, "last_seen_seq": runner.last_seen_seq, "idle": runner.idle(),
        "jobs": {job_id: {"status": j.status, "idle": j.idle, "worker_count": j.spec.worker_count,
                          "writeback_failures": j.writeback.failures} for job_id, j in jobs.items()},
        "errors": [REDACTOR(e) for e in runner.errors],
    }
    if full:
        doc["outcomes"] = {job_id: {"snapshot": log.snapshot(), "requests": log.requests_snapshot(),
                                    "summary": log.summary(), "counters": dict(log.counters)}
                           for job_id, log in dict(runner.outcomes).items()}
    return doc


def state_app(runner: Runner, admin_key: str | None) -> Any:
    """A WSGI app answering GET /state (mounted under MOUNT); 401 without the admin key when one is set."""

    @Request.application
    def app(request: Request) -> Response:
        if admin_key and not hmac.compare_digest(request.headers.get("X-Admin-Key", ""), admin_key):
            return Response(json.dumps({"error": "missing or wrong X-Admin-Key header"}), 401,
                            mimetype="application/json")
        if request.path != "/state" or request.method != "GET":
            return Response(json.dumps({"error": "not found: GET /__runner/state"}), 404, mimetype="application/json")
        doc = state_document(runner, full=request.args.get("parts") != "progress")
        return Response(json.dumps(doc), 200, mimetype="application/json")

    return app


def mount(flask_app: Any, runner: Runner, admin_key: str | None) -> None:
    """Serve the runner's state beside the app's own routes (requests under MOUNT never reach the app)."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {MOUNT: state_app(runner, admin_key)})


def serve_state(runner: Runner, admin_key: str | None, *, host: str, port: int,
                public: str | None) -> tuple[Any, str]:
    """The state on a server of its own (`harness runner --state-port`): the server and the state's URL."""
    from werkzeug.exceptions import NotFound
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from harness.servers import ServerThread
    from harness.service import base_url, public_host, warn_if_exposed

    warn_if_exposed(host, "the runner's state")
    app = DispatcherMiddleware(NotFound(), {MOUNT: state_app(runner, admin_key)})
    srv = ServerThread(app, host=host, port=port, name="runner-state")
    srv.start()
    return srv, f"{base_url(public_host(host, public), srv.port)}{MOUNT}/state"


@dataclass
class _RemoteLog:
    """One job's outcome log as read over HTTP: the methods the engine calls on an OutcomeLog."""

    data: dict[str, Any] = field(repr=False)

    @property
    def counters(self) -> dict[str, int]:
        return dict(self.data["counters"])

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.data["snapshot"])

    def requests_snapshot(self) -> list[dict[str, Any]]:
        return list(self.data["requests"])

    def summary(self) -> dict[str, Any]:
        return dict(self.data["summary"])


class RemoteRunner:
    """A runner in another process (`harness serve`), read through its /__runner/state endpoint."""

    def __init__(self, url: str, admin_key: str | None, session: requests.Session | None = None) -> None:
        self.url = url
        self.exclude: set[str] = set()  # jobs left out of jobs/outcomes: those that predate this scenario
        self.session = session or requests.Session()
        if admin_key:
            self.session.headers["X-Admin-Key"] = admin_key

    def _get(self, full: bool) -> dict[str, Any]:
        resp = self.session.get(self.url, params=None if full else {"parts": "progress"}, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def caught_up_to(self, seq: int) -> bool:
        return int(self._get(False)["cursor"]) >= seq

    def idle(self) -> bool:
        return bool(self._get(False)["idle"])

    @property
    def jobs(self) -> dict[str, Any]:
        return {job_id: SimpleNamespace(status=j["status"], idle=j["idle"], spec=SimpleNamespace(
                    worker_count=j["worker_count"]), writeback=SimpleNamespace(failures=j["writeback_failures"]))
                for job_id, j in self._get(False)["jobs"].items() if job_id not in self.exclude}

    @property
    def outcomes(self) -> dict[str, _RemoteLog]:
        return {job_id: _RemoteLog(data) for job_id, data in self._get(True)["outcomes"].items()
                if job_id not in self.exclude}

    @property
    def errors(self) -> list[str]:
        return list(self._get(False)["errors"])

    def close(self) -> None:
        self.session.close()
