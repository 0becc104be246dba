"""Run the probes against the user's Ansira and against an in-process mock Ansira, and pair up the answers.

The real side goes first and never sends more than `max_calls` requests (counted here, before each send); the
mock then answers the same probes, and a probe the cap kept from the real service is not sent to the mock either.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from harness.http import ServiceSession, ansira_session
from harness.mockclients import HEALTH
from harness.redact import REDACTOR
from harness.verify.compare import Difference, Observation, compare, failed, observe
from harness.verify.probes import PROBES, Context, Probe, Request

DEFAULT_MAX_CALLS = 40
CAP = "call cap"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)
    source_code: str


@dataclass
class ProbeResult:
    probe: Probe
    real: Observation
    mock: Observation
    differences: list[Difference]

    @property
    def same(self) -> bool:
        return not self.differences and not self.real.skipped


@dataclass
class VerifyResult:
    base_url: str
    tag: str
    max_calls: int
    calls: int  # requests sent to the real service
    mock_calls: int
    results: list[ProbeResult]

    @property
    def differing(self) -> list[ProbeResult]:
        return [r for r in self.results if r.differences]

    @property
    def not_run(self) -> list[ProbeResult]:
        return [r for r in self.results if r.real.skipped and not r.differences]

    @property
    def ok(self) -> bool:
        return all(r.same for r in self.results)


class Prober:
    """Sends probes through one session, counting every request and refusing to pass `max_calls`."""

    def __init__(self, session: ServiceSession, ctx: Context, *, max_calls: int | None = None) -> None:
        self.session = session
        self.ctx = ctx
        self.max_calls = max_calls
        self.calls = 0

    def run(self, probes: tuple[Probe, ...], *, capped: frozenset[str] = frozenset()) -> list[Observation]:
        return [self.one(p, capped=p.name in capped) for p in probes]

    def one(self, probe: Probe, *, capped: bool = False) -> Observation:
        if capped or (self.max_calls is not None and self.calls >= self.max_calls):
            return Observation(skipped=CAP, body_kind="none")
        if probe.needs_token and self.ctx.token is None:
            return Observation(skipped="no token", body_kind="none")
        req = probe.build(self.ctx)
        self.calls += 1
        try:
            resp = self._send(req)
        except requests.RequestException as exc:
            return failed(f"{type(exc).__name__}: {exc}")
        obs, body = observe(resp.status_code, resp.headers, resp.content)
        if probe.operation == "token" and resp.status_code == 200 and isinstance(body, dict):
            token = body.get("access_token")
            if isinstance(token, str) and token:
                REDACTOR.add(token)
                self.ctx.token = token  # the newest: some servers revoke older tokens of a client
        if probe.facts is not None:
            obs.facts = probe.facts(self.ctx, body)
        return obs

    def _send(self, req: Request) -> requests.Response:
        return self.session.request(req.method, req.path, params=req.params or None, headers=req.headers or None,
                                    data=req.form if req.form is not None else req.data, json=req.json,
                                    auth=req.basic, allow_redirects=False)


def mock_behaviour(creds: Credentials, doc: Mapping[str, Any] | None) -> dict[str, Any]:
    """The mock's behaviour: `doc` (e.g. a file --write-behaviour wrote) with the user's client and source code."""
    beh: dict[str, Any] = copy.deepcopy(dict(doc or {}))
    clients = [c for c in beh.get("clients") or [] if isinstance(c, dict)]
    mine = next((c for c in clients if c.get("client_id") == creds.client_id), {})
    beh["clients"] = [{**mine, "client_id": creds.client_id, "client_secret": creds.client_secret}]
    beh["source_codes"] = [creds.source_code, *(c for c in beh.get("source_codes") or [] if c != creds.source_code)]
    beh.setdefault("known_users", {"count": 0})
    beh.setdefault("seed", 0)
    return beh


def verify(base_url: str, creds: Credentials, *, tag: str, max_calls: int = DEFAULT_MAX_CALLS,
           behaviour: Mapping[str, Any] | None = None, probes: tuple[Probe, ...] = PROBES) -> VerifyResult:
    """Probe `base_url`, then a fresh in-process mock configured with the same client; compare probe by probe."""
    from harness.servers import ServerThread
    from mock_ansira import create_app

    REDACTOR.add(creds.client_secret)
    real = Prober(ansira_session(base_url), _context(creds, tag), max_calls=max_calls)
    try:
        real_obs = real.run(probes)
    finally:
        real.session.close()
    capped = frozenset(p.name for p, o in zip(probes, real_obs, strict=True) if o.skipped == CAP)
    app = create_app({"BEHAVIOUR": mock_behaviour(creds, behaviour)})
    srv = ServerThread(app, name="verify-mock").start(ready_path=HEALTH)
    mock = Prober(ansira_session(srv.url), _context(creds, tag))
    try:
        mock_obs = mock.run(probes, capped=capped)
    finally:
        mock.session.close()
        srv.stop()
    results = [ProbeResult(p, r, m, compare(r, m)) for p, r, m in zip(probes, real_obs, mock_obs, strict=True)]
    return VerifyResult(base_url, tag, max_calls, real.calls, mock.calls, results)


def _context(creds: Credentials, tag: str) -> Context:
    return Context(creds.client_id, creds.client_secret, creds.source_code, tag)
