"""Reference data: each kind's list (source codes, brands, pet types, ...) and one item by id."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from mock_ansira import reference
from mock_ansira.errors import NotFound
from mock_ansira.http import api_pipeline, backend
from mock_ansira.paths import API

bp = Blueprint("ansira_reference", __name__)
_KINDS = ", ".join(reference.KINDS)


@bp.route(f"{API}/<any({_KINDS}):kind>", methods=["GET"])
def list_reference(kind: str) -> Response:
    api_pipeline("reference")
    return jsonify(reference.items(kind, backend().behaviour.source_codes))


@bp.route(f"{API}/<any({_KINDS}):kind>/<int:item_id>", methods=["GET"])
def get_reference(kind: str, item_id: int) -> Response:
    api_pipeline("reference")
    item = next((i for i in reference.items(kind, backend().behaviour.source_codes) if i["id"] == item_id), None)
    if item is None:
        raise NotFound(f"no {kind} item with id {item_id}")
    return jsonify(item)
