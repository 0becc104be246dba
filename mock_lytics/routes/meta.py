"""The API description."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from mock_lytics.openapi import build_openapi

bp = Blueprint("meta", __name__)


@bp.get("/openapi.json")
def openapi() -> Response:
    """OpenAPI 3.1 document covering every public and admin route (needs no key)."""
    return jsonify(build_openapi(current_app._get_current_object()))  # type: ignore[attr-defined]
