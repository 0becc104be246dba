"""Data collection: `POST /collect/json/{stream}` and the stream listings."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from mock_lytics.collect import STREAM_NAME, prepare
from mock_lytics.errors import BadRequest, PayloadTooLarge
from mock_lytics.http import backend, bool_arg, envelope, faults, received

bp = Blueprint("collect", __name__)


@bp.post("/collect/json/<stream>")
def collect_json(stream: str) -> Response:
    """Collect one event or an array of events into a stream (all-or-nothing per request)."""
    if not STREAM_NAME.match(stream):
        raise BadRequest(f"stream name {stream!r} must match {STREAM_NAME.pattern}")
    injected = faults().collect_fault(stream)
    if injected is not None:  # refused before the body is read: nothing it carried is stored
        resp = envelope(None, injected.status, f"injected collect fault (HTTP {injected.status}, "
                                               f"POST /__admin/faults); nothing was stored")
        if injected.retry_after_s is not None:
            resp.headers["Retry-After"] = str(injected.retry_after_s)
        return resp
    limit = int(current_app.config["MAX_BODY_BYTES"])
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"body is {request.content_length} bytes; the collect limit is {limit} bytes")
    body = request.stream.read(limit + 1)  # never more than the limit, even when chunked
    if len(body) > limit:
        raise PayloadTooLarge(f"body exceeds the collect limit of {limit} bytes")
    dryrun = bool_arg("dryrun", False)
    timestamp_field = request.args.get("timestamp_field") or None
    prepared = prepare(body, received=received(), timestamp_field=timestamp_field,
                       max_event_bytes=int(current_app.config["MAX_EVENT_BYTES"]))
    if not dryrun:
        backend().collect(stream, prepared, received=received())
    return envelope({
        "message_count": len(prepared.events),
        "rejected_count": prepared.rejected,
        "content-type": request.mimetype or "application/json",
        "droperrors": bool_arg("droperrors", False),
        "dryrun": dryrun,
        "timestamp_field": timestamp_field or "",
        "filename": request.args.get("filename", ""),
    })


@bp.get("/v2/stream/names")
def list_stream_names() -> Response:
    """Names of every stream that has received data (or been named by a query/job)."""
    return envelope(backend().stream_names())


@bp.get("/api/schema/_streams")
def list_streams() -> Response:
    """v1 stream listing with counts."""
    return envelope(backend().stream_list())
