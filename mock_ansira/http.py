"""Request helpers shared by the public blueprints: the journal record, and the pipeline every public route runs.

The pipeline's order: latency and faults first (a down server is down whoever asks), then authentication, then
the client's rate limit, then request validation, then one backend call. `api_pipeline` runs the first three for
a v2 API call; the token endpoint runs them itself, with client credentials in place of a bearer token.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, g, request

from mock_ansira.behaviour import Client
from mock_ansira.contract import MAX_BODY_BYTES, Problem
from mock_ansira.errors import (
    DropConnection,
    InjectedFault,
    InsufficientScope,
    InvalidClient,
    InvalidRequest,
    InvalidToken,
    PayloadTooLarge,
    RateLimited,
)
from mock_ansira.models import AnsiraBackend, LimitScope

RECORD_KEY = "mock_ansira.record"
DROP_KEY = "mock_ansira.drop"


def backend() -> AnsiraBackend:
    return current_app.extensions["mock_ansira"]


def note(**fields: Any) -> None:
    """Add facts about this request to its journal record."""
    request.environ[RECORD_KEY].update(fields)


# --- pipeline steps ---------------------------------------------------------------------------------
def guard(operation: str, client_id: str | None, *, basic: bool = False) -> None:
    """Sleep the configured latency, then apply the first fault rule that fires for this request."""
    be = backend()
    be.sleep(be.next_delay_s(operation))
    selected = be.pick_fault(operation, client_id)
    if selected is None:
        return
    fault = selected.fault
    note(fault=fault.label)
    g.ansira_fault = fault
    if fault.kind in ("status", "outage"):
        if fault.retry_after_s is not None:
            note(retry_after=float(fault.retry_after_s))
        raise InjectedFault(fault.effective_status, retry_after_s=fault.retry_after_s)
    if fault.kind == "invalid_client":
        raise InvalidClient("client authentication failed", basic=basic)
    if fault.process or fault.kind in ("malformed_json", "truncated_json"):
        return  # acts on the finished response, see app._response_fault
    if fault.kind == "timeout":
        be.sleep(fault.hang_s or 0.0)
        if fault.then == "drop":
            raise DropConnection()
        raise InjectedFault(fault.effective_status)
    raise DropConnection()  # connection_reset


def limit(scope: LimitScope, client: Client) -> None:
    decision = backend().rate_limit(scope, client)
    if decision is None:
        return
    g.ansira_rate = decision
    if not decision.allowed:
        if decision.retry_after is not None:
            note(retry_after=float(decision.retry_after))
        raise RateLimited(f"rate limit exceeded for client {client.client_id!r}", headers=decision.headers())


def _bearer_token() -> str | None:
    query = request.args.getlist("access_token")
    if len(query) > 1:
        raise InvalidRequest("access_token given more than once")
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    header = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    found = {t for t in (*query, header) if t}
    if len(found) > 1:
        raise InvalidRequest("the access_token query parameter and the Bearer header carry different tokens")
    return found.pop() if found else None


def peek_api_client() -> str | None:
    """The client whose live token this request carries, without failing (for fault targeting)."""
    try:
        token = _bearer_token()
    except InvalidRequest:
        return None
    if token is None:
        return None
    state, info = backend().check_token(token)
    return info.client_id if info is not None and state == "live" else None


_TOKEN_PROBLEMS = {
    "unknown": "the access token is not known",
    "expired": "the access token expired",
    "revoked": "the access token was revoked",
    "no_client": "the access token belongs to a client that no longer exists",
}


def authenticate_api(operation: str) -> Client:
    token = _bearer_token()
    if token is None:
        raise InvalidToken("no access token: send ?access_token= or an Authorization: Bearer header")
    be = backend()
    state, info = be.check_token(token)
    client = be.behaviour.client(info.client_id) if info is not None else None
    if state != "live" or client is None or info is None:
        raise InvalidToken(_TOKEN_PROBLEMS.get(state, "the access token is not valid"))
    note(client_id=client.client_id)
    needed = be.behaviour.required_scopes.get(operation)  # type: ignore[call-overload]
    if needed is not None and needed not in info.scopes:
        granted = " ".join(info.scopes) or "none"
        raise InsufficientScope(f"{operation} needs scope {needed!r}; the token was granted: {granted}", scope=needed)
    return client


def api_pipeline(operation: str) -> Client:
    guard(operation, peek_api_client())
    client = authenticate_api(operation)
    limit("api", client)
    return client


# --- request bodies -------------------------------------------------------------------------------
def read_json_body() -> object:
    """The JSON body, read to at most 1 MB: too large is a 413; a wrong content type or bad JSON is a 400."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is {request.content_length} bytes; the limit is {MAX_BODY_BYTES}")
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        got = request.content_type or "none"
        raise InvalidRequest(
            "wrong content type", problems=[Problem("$", f"Content-Type must be application/json, got {got}")]
        )
    data = request.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body exceeds the limit of {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constants)  # contract.py refuses lone surrogates
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidRequest(
            "request body is not valid JSON", problems=[Problem("$", f"invalid JSON: {exc}")]
        ) from None


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")
