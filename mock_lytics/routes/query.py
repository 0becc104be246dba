"""Legacy LQL queries: live at once; their columns become fields and mappings from their FROM stream."""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_lytics.errors import BadRequest
from mock_lytics.http import backend, envelope, no_content, text_body

bp = Blueprint("query", __name__, url_prefix="/api/query")


def _query_text() -> str:
    text = text_body()
    if not text.strip():
        raise BadRequest("request body must be an LQL statement (text/plain)")
    return text


@bp.post("")
def upsert_query() -> Response:
    """Create or replace (by ALIAS) an LQL query; live immediately."""
    return envelope(backend().upsert_query(_query_text()))


@bp.post("/_validate")
def validate_query() -> Response:
    """Parse only: 200 with what the query would define, or 400 naming line and column."""
    return envelope(backend().validate_query(_query_text()))


@bp.post("/_test")
def test_query() -> Response:
    """Evaluate the query over one record given as the query string; returns the user fields it would set."""
    record: dict[str, object] = {}
    for key in request.args:
        if key in ("key", "access_token", "account_id"):
            continue
        values = request.args.getlist(key)
        record[key] = values if len(values) > 1 else values[0]
    return envelope(backend().test_query(_query_text(), record))


@bp.get("")
def list_queries() -> Response:
    return envelope(backend().list_queries())


@bp.get("/<alias>")
def get_query(alias: str) -> Response:
    return envelope(backend().get_query(alias))


@bp.delete("/<alias>")
def delete_query(alias: str) -> Response:
    """Remove the query's fields and mappings from the live plan (profile data stays)."""
    backend().delete_query(alias)
    return no_content()
