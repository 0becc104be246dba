"""The OAuth token endpoint: client credentials (RFC 6749 section 4.4) by Basic, form, JSON or query."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_plus

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from mock_ansira.behaviour import Client
from mock_ansira.contract import MAX_BODY_BYTES
from mock_ansira.errors import InvalidClient, InvalidRequest, InvalidScope, PayloadTooLarge, UnsupportedGrantType
from mock_ansira.http import backend, guard, limit, note
from mock_ansira.paths import TOKEN_PATH

bp = Blueprint("ansira_token", __name__)


def _basic_credentials() -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("malformed Basic authorization header", basic=True) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("Basic credentials must be client_id:client_secret", basic=True)
    return client_id, secret


def _token_params() -> dict[str, str]:
    """Parameters from the query (GET, and POST too) and the form or JSON body; each at most once."""
    merged: MultiDict[str, str] = MultiDict(request.args)
    if request.method == "POST" and request.content_length != 0:
        mimetype = request.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            merged.update(request.form)
        elif mimetype == "application/json" or mimetype.endswith("+json"):
            merged.update(_json_token_params())
        elif request.get_data(cache=True):
            raise InvalidRequest(
                f"token requests must be application/x-www-form-urlencoded (or JSON), got {mimetype or 'none'}"
            )
    params: dict[str, str] = {}
    for key, values in merged.lists():
        if len(values) > 1:
            raise InvalidRequest(f"parameter {_quote(key)} given more than once")
        params[key] = values[0]
    return params


def _json_token_params() -> MultiDict[str, str]:
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError) as exc:
        raise InvalidRequest(f"token request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
        raise InvalidRequest("a JSON token request must be an object of string values")
    return MultiDict(body)


def _peek_token_client() -> tuple[str | None, bool]:
    basic = request.headers.get("Authorization", "").lower().startswith("basic ")
    try:
        creds = _basic_credentials()
        candidate = creds[0] if creds else _token_params().get("client_id")
    except (InvalidClient, InvalidRequest):
        return None, basic
    known = candidate if candidate and backend().behaviour.client(candidate) else None
    return known, basic


def _quote(value: str, limit: int = 64) -> str:
    """A bounded repr: an error message never echoes a client's input whole."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value)} characters)"


def _read_token_body() -> None:
    """Read (and cache) the token request's body before anything parses it, refusing it past the 1 MB limit."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is {request.content_length} bytes; the limit is {MAX_BODY_BYTES}")
    if request.method != "POST":
        return
    try:
        data = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH (create_app), chunked or not
    except RequestEntityTooLarge:
        data = None
    if data is None or len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body exceeds the limit of {MAX_BODY_BYTES} bytes")


@bp.route(TOKEN_PATH, methods=["GET", "POST"])
def issue_token() -> Response:
    _read_token_body()
    client_id, basic = _peek_token_client()
    if client_id is not None:
        note(client_id=client_id)
    guard("token", client_id, basic=basic)
    creds = _basic_credentials()
    params = _token_params()
    grant_type = params.get("grant_type")
    if not grant_type:
        raise InvalidRequest("missing grant_type (expected client_credentials)")
    if grant_type != "client_credentials":
        raise UnsupportedGrantType(f"grant_type {_quote(grant_type)} is not supported; use client_credentials")
    client = _authenticate_client(creds, params)
    note(client_id=client.client_id)
    limit("token", client)
    scopes = _granted_scopes(client, params.get("scope"))
    token, ttl = backend().issue_token(client, scopes)
    body: dict[str, Any] = {"access_token": token, "token_type": "bearer", "expires_in": ttl}
    if client.scopes:
        body["scope"] = " ".join(scopes)
    return jsonify(body)


def _authenticate_client(creds: tuple[str, str] | None, params: dict[str, str]) -> Client:
    if creds is not None:
        if "client_secret" in params:
            raise InvalidRequest("use one client authentication method: Basic or client_secret, not both")
        if params.get("client_id") not in (None, creds[0]):
            raise InvalidRequest("client_id in the request does not match the Basic credentials")
        candidates = [creds, (unquote_plus(creds[0]), unquote_plus(creds[1]))]
    else:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        if not client_id or secret is None:
            raise InvalidClient("client authentication required (Basic, or client_id + client_secret)", basic=False)
        candidates = [(client_id, secret)]
    be = backend()
    for client_id, secret in candidates:
        client = be.authenticate(client_id, secret)
        if client is not None:
            return client
    raise InvalidClient("client authentication failed", basic=creds is not None)


def _granted_scopes(client: Client, requested: str | None) -> tuple[str, ...]:
    if requested is None or not requested.strip():
        return tuple(client.scopes)
    wanted = requested.split()
    unknown = [s for s in wanted if s not in client.scopes]
    if unknown:
        raise InvalidScope(f"scope not allowed for this client: {_quote(' '.join(unknown))}")
    return tuple(dict.fromkeys(wanted))
