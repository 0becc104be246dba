"""Profile lookup: `/api/entity/{table}/{field}/{value}` (and `/api/me` aliases), `/v2/identity`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from mock_lytics.errors import NotFound
from mock_lytics.http import backend, bool_arg, envelope

bp = Blueprint("entity", __name__)


def _meta() -> dict[str, object]:
    return {"format": "json", "name": "user", "by_fields": backend().by_fields()}


@bp.get("/api/entity/<table>/<field_id>/<path:value>")
@bp.get("/api/me/<table>/<field_id>/<path:value>")
def get_entity(table: str, field_id: str, value: str) -> Response:
    """One profile by an identity field; Lytics' quirk: a miss is HTTP 200 with message "Not Found"."""
    if table != "user":
        raise NotFound(f"table {table!r} is not simulated; only 'user'")
    fields = [f.strip() for f in request.args.get("fields", "").split(",") if f.strip()] or None
    with_segments = bool_arg("segments", True)
    data = backend().entity(field_id, value, fields=fields, segments=with_segments)
    extra: dict[str, Any] = {"meta": _meta()} if bool_arg("meta", True) else {}
    if data is None:
        return envelope({"segments": ["not_found", "all"]}, 200, "Not Found", **extra)
    return envelope(data, **extra)


@bp.get("/api/me/<field_id>/<path:value>")
def get_me(field_id: str, value: str) -> Response:
    """`/api/me/{field}/{value}`: the personalization alias of /api/entity/user/{field}/{value}."""
    return get_entity("user", field_id, value)


@bp.get("/v2/identity/<table>/<field_id>/<path:value>")
def get_identity(table: str, field_id: str, value: str) -> Response:
    """v2 lookup: an honest 404 when there is no such profile."""
    if table != "user":
        raise NotFound(f"table {table!r} is not simulated; only 'user'")
    data = backend().entity(field_id, value, segments=True)
    if data is None:
        raise NotFound(f"no user profile with {field_id}={value!r}")
    return envelope(data, meta=_meta())
