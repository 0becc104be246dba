"""v2 schema: fields, mappings (a draft until published) and publish."""

from __future__ import annotations

from flask import Blueprint, Response, g

from mock_lytics.errors import BadRequest, NotFound
from mock_lytics.http import backend, envelope, json_body, no_content

bp = Blueprint("schema", __name__, url_prefix="/v2/schema/<table>")


@bp.url_value_preprocessor
def _take_table(endpoint: str | None, values: dict | None) -> None:
    g.schema_table = (values or {}).pop("table", "user")


@bp.before_request
def _only_user() -> None:
    """After the app's key check (url_value_preprocessors run before it): a caller without a key gets 401."""
    if g.schema_table != "user":
        raise NotFound(f"table {g.schema_table!r} is not simulated; only 'user'")


@bp.get("")
def get_schema() -> Response:
    """Schema summary: live field count, identifiers, streams with mappings, publish history."""
    return envelope(backend().schema_summary())


@bp.get("/field")
def list_fields() -> Response:
    """Every field: draft v2 fields (with `published`) and fields defined by LQL queries."""
    return envelope(backend().list_fields())


@bp.post("/field")
@bp.post("/field/<field_id>")
def upsert_field(field_id: str | None = None) -> Response:
    """Create or fully replace a field definition (draft until published)."""
    return envelope(backend().upsert_field(json_body(), field_id))


@bp.get("/field/<field_id>")
def get_field(field_id: str) -> Response:
    return envelope(backend().get_field(field_id))


@bp.delete("/field/<field_id>")
def delete_field(field_id: str) -> Response:
    backend().delete_field(field_id)
    return no_content()


@bp.get("/mapping")
def list_mappings() -> Response:
    return envelope(backend().list_mappings())


@bp.post("/mapping")
def upsert_mapping() -> Response:
    """Create (or update, when `id` is given or field+stream+expr match) a mapping; draft until published."""
    return envelope(backend().upsert_mapping(json_body()))


@bp.delete("/mapping/<mapping_id>")
def delete_mapping(mapping_id: str) -> Response:
    backend().delete_mapping(mapping_id)
    return no_content()


@bp.post("/publish")
def publish_schema() -> Response:
    """Make the draft fields and mappings live."""
    body = json_body(required=False) or {}
    if not isinstance(body, dict):
        raise BadRequest("publish body must be a JSON object {tag, description}")
    tag, description = body.get("tag"), body.get("description")
    if (tag is not None and not isinstance(tag, str)) or (description is not None and not isinstance(description, str)):
        raise BadRequest("publish 'tag' and 'description' must be strings")
    return envelope(backend().publish(tag, description))
