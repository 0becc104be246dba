"""Request/response helpers shared by the blueprints: the envelope, argument parsing, auth checks."""

from __future__ import annotations

import hmac
import json
import uuid
from typing import Any

from flask import Response, current_app, g, jsonify, request

from mock_lytics import jsontext
from mock_lytics.errors import AdminUnauthorized, BadRequest, Unauthorized
from mock_lytics.faults import Faults
from mock_lytics.store import Backend

EXTENSION = "mock_lytics"
FAULTS_EXTENSION = "mock_lytics.faults"


def backend() -> Backend:
    return current_app.extensions[EXTENSION]


def faults() -> Faults:
    return current_app.extensions[FAULTS_EXTENSION]


def received() -> float:
    """CLOCK time at which this request arrived (the `cause_ts` of whatever it changes)."""
    return g.received


def envelope(data: Any, status: int = 200, message: str = "success", **extra: Any) -> Response:
    """Lytics' response shape; extra top-level keys (meta, _next, total) go beside data."""
    resp = jsonify({"data": data, "status": status, "message": message, "request_id": str(uuid.uuid4()), **extra})
    resp.status_code = status
    return resp


def no_content() -> Response:
    return Response(status=204)


# --------------------------------------------------------------------------------------------- arguments


def int_arg(name: str, default: int, lo: int, hi: int, *, clamp: bool = False) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name}={raw!r} must be an integer") from None
    if clamp:
        return max(lo, min(hi, value))
    if not lo <= value <= hi:
        raise BadRequest(f"query parameter {name}={value} must be from {lo} to {hi}")
    return value


def float_arg(name: str, default: float, lo: float, hi: float) -> float:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name}={raw!r} must be a number") from None
    if value != value or value < lo:
        raise BadRequest(f"query parameter {name}={raw!r} must be >= {lo}")
    return min(value, hi)


def bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "t", "1", "yes"):
        return True
    if lowered in ("false", "f", "0", "no"):
        return False
    raise BadRequest(f"query parameter {name}={raw!r} must be true or false")


def json_body(*, required: bool = True) -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise BadRequest("request body is empty; expected JSON")
        return None
    try:
        return jsontext.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BadRequest("malformed JSON body: nested too deeply") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno}, col {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadRequest(f"malformed JSON body{where}: {getattr(exc, 'msg', exc)}") from None


def text_body() -> str:
    raw = request.get_data(cache=True)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"request body is not UTF-8 (byte {exc.start})") from None


def is_json_request() -> bool:
    """JSON by content type, or a body that starts with '{' (clients often omit the header)."""
    if request.mimetype == "application/json":
        return True
    if request.mimetype in ("text/plain", "application/x-lql", "text/x-filterql"):
        return False
    return request.get_data(cache=True).lstrip()[:1] == b"{"


# --------------------------------------------------------------------------------------------- auth


def check_api_key() -> None:
    """Lytics takes the RAW key in Authorization (no "Bearer "), or key= / access_token= in the query."""
    expected = current_app.config["API_KEY"]
    header = request.headers.get("Authorization", "")
    candidates = [header, request.args.get("key", ""), request.args.get("access_token", "")]
    if any(c and hmac.compare_digest(c.encode(), expected.encode()) for c in candidates):
        return
    if header.lower().startswith("bearer "):
        raise Unauthorized("Unauthorized: Lytics expects the raw API key in the Authorization header, "
                           "without a 'Bearer ' prefix")
    raise Unauthorized()


def check_admin_key() -> None:
    expected = current_app.config.get("ADMIN_KEY")
    if not expected:
        return
    given = request.headers.get("X-Admin-Key", "")
    if not hmac.compare_digest(given.encode(), str(expected).encode()):
        raise AdminUnauthorized()
