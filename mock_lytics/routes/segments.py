"""Audiences: v1 `/api/segment` (text/plain FilterQL or JSON) and v2 `/v2/segment`."""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_lytics.errors import BadRequest
from mock_lytics.http import (
    backend,
    bool_arg,
    envelope,
    int_arg,
    is_json_request,
    json_body,
    no_content,
    received,
    text_body,
)
from mock_lytics.segments import parse_ql

bp = Blueprint("segments", __name__)
SCAN_DEFAULT, SCAN_MAX = 100, 1000


@bp.get("/api/segment")
@bp.get("/v2/segment")
def list_segments() -> Response:
    """Every audience; `sizes=true` adds the member count."""
    return envelope(backend().list_segments(sizes=bool_arg("sizes", False)))


@bp.post("/api/segment")
def create_segment() -> Response:
    """text/plain FilterQL (ALIAS = slug = name; upsert on the alias) or a JSON body (upsert on slug_name)."""
    if is_json_request():
        data, _ = backend().create_segment_json(json_body(), v2=False, cause_ts=received())
    else:
        data, _ = backend().create_segment_text(text_body(), received())
    return envelope(data)


@bp.post("/v2/segment")
def create_segment_v2() -> Response:
    """JSON create; a taken slug becomes `<slug>_1` silently (Lytics does not answer 409)."""
    data, _ = backend().create_segment_json(json_body(), v2=True, cause_ts=received())
    return envelope(data)


@bp.post("/api/segment/validate")
def validate_segment() -> Response:
    """200 with data null when the FilterQL statement parses; 400 naming line/col otherwise."""
    parse_ql(text_body())
    return envelope(None)


@bp.post("/api/segment/size")
def size_segment() -> Response:
    """How many profiles an unsaved FilterQL statement matches now."""
    return envelope(backend().segment_size(text_body()))


@bp.get("/api/segment/<ref>")
@bp.get("/v2/segment/<ref>")
def get_segment(ref: str) -> Response:
    return envelope(backend().get_segment(ref, size=bool_arg("sizes", False)))


@bp.put("/api/segment/<ref>")
@bp.put("/v2/segment/<ref>")
def update_segment(ref: str) -> Response:
    """Partial update; a changed segment_ql re-evaluates the audience over every profile."""
    if not is_json_request():
        text = text_body()
        flt = parse_ql(text)
        body = {"segment_ql": text, **({"name": flt.alias} if flt.alias else {})}
    else:
        body = json_body()
    return envelope(backend().update_segment(ref, body, received()))


@bp.delete("/api/segment/<ref>")
@bp.delete("/v2/segment/<ref>")
def delete_segment(ref: str) -> Response:
    backend().delete_segment(ref, received())
    return no_content()


@bp.get("/api/segment/<ref>/scan")
def scan_segment(ref: str) -> Response:
    """Members page by page: `_next` is a stable cursor (profile order), `total` the current size."""
    limit = int_arg("limit", SCAN_DEFAULT, 1, SCAN_MAX, clamp=True)
    start = _start_arg()
    profiles, cursor, total = backend().scan_segment(ref, start, limit)
    return envelope(profiles, _next=cursor or "", total=total)


def _start_arg() -> str | None:
    start = request.args.get("start") or None
    if start is not None and len(start) > 200:
        raise BadRequest("scan cursor 'start' is too long; pass the `_next` value of the previous page")
    return start
