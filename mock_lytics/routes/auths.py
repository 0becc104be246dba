"""Authorizations for webhook jobs; the client secret never leaves through this API."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_lytics.catalog import HEADER_PARAM, OAUTH2
from mock_lytics.http import backend, envelope, json_body, no_content

bp = Blueprint("auths", __name__, url_prefix="/v2/auth")


@bp.post(f"/{OAUTH2}")
def create_auth() -> Response:
    """OAuth 2.0 client credentials: {label, description, config: {token_url, client_id, client_secret, ...}}."""
    return envelope(backend().create_auth(OAUTH2, json_body()))


@bp.post(f"/{HEADER_PARAM}")
def create_header_param_auth() -> Response:
    """Static headers/params: {label, config: {webhook_request_headers, webhook_request_params}}."""
    return envelope(backend().create_auth(HEADER_PARAM, json_body()))


@bp.get("")
def list_auths() -> Response:
    return envelope(backend().list_auths())


@bp.get("/<auth_id>")
def get_auth(auth_id: str) -> Response:
    return envelope(backend().get_auth(auth_id))


@bp.delete("/<auth_id>")
def delete_auth(auth_id: str) -> Response:
    backend().delete_auth(auth_id)
    return no_content()
