"""Webhook templates: raw-body create/update, definition, and the /test renderers (jsonnet only).

Strict by default, as the live API behaves (facts §1.1, SK-T): update is PUT only (POST answers 405), the source
cannot be read back, and /test needs `desired_format`. Config PERMISSIVE_TEMPLATE_API=True also accepts what only
the OpenAPI lists (POST update, GET /definition) and renders without `desired_format`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import MethodNotAllowed

from enrich_templates import TemplateError, TemplateEvalError
from mock_lytics.catalog import check_template_meta
from mock_lytics.errors import BadRequest, MockApiError, NotFound, NotSimulated
from mock_lytics.http import backend, envelope, json_body, no_content, received, text_body

bp = Blueprint("templates", __name__, url_prefix="/v2/template")
ENGINE = "mock_lytics.template_engine"
_META_KEYS = frozenset({"id", "name", "type", "description", "source"})
LIVE_ALLOW = ("GET", "OPTIONS", "DELETE", "PUT", "HEAD")  # what the live API answers POST /v2/template/{id} with


def _permissive() -> bool:
    return bool(current_app.config.get("PERMISSIVE_TEMPLATE_API"))


# Test renders run untrusted templates: in a child process with a memory cap, killed when late, so an answer
# ("did not finish") never leaves an evaluation running or allocating behind it.
TEST_MEMORY_MB = 512


def _engine() -> Any:
    """One TemplateEngine per app, built on first use (it owns its evaluation process)."""
    engine = current_app.extensions.get(ENGINE)
    if engine is None:
        from enrich_templates import TemplateEngine

        engine = current_app.extensions[ENGINE] = TemplateEngine(isolation="process",
                                                                 memory_limit_mb=TEST_MEMORY_MB)
    return engine


def _compile_check(source: str, ttype: str) -> None:
    if ttype != "jsonnet":
        return
    if not source.strip():
        raise BadRequest("template source (the request body) is empty")
    try:
        _engine().compile_check(source)
    except TemplateEvalError as exc:
        where = f" at line {exc.line}, col {exc.col}" if exc.line is not None else ""
        raise BadRequest(f"template does not compile{where}: {exc.message}") from None
    except TemplateError as exc:
        raise BadRequest(f"template rejected: {exc}") from None


@bp.post("")
def create_template() -> Response:
    """Create from the raw body; `name` and `type` come from the query string; jsonnet is compile-checked."""
    name, ttype = check_template_meta(request.args.get("name"), request.args.get("type"))
    source = text_body()
    _compile_check(source, ttype)
    return envelope(backend().create_template(name, ttype, source, request.args.get("description", "")))


@bp.get("")
def list_templates() -> Response:
    return envelope(backend().list_templates())


@bp.get("/<template_id>")
def get_template(template_id: str) -> Response:
    return envelope(backend().get_template(template_id))


@bp.route("/<template_id>", methods=["PUT", "POST"])
def update_template(template_id: str) -> Response:
    """New source in the raw body and/or metadata in the query string (or a JSON {name,type,description,source})."""
    if request.method == "POST" and not _permissive():
        raise MethodNotAllowed(valid_methods=list(LIVE_ALLOW),
                               description="update a template with PUT: the live API answers POST with 405")
    meta: dict[str, Any] = {k: request.args[k] for k in ("name", "type", "description") if k in request.args}
    source: str | None = text_body() or None
    if request.mimetype == "application/json" and source:
        doc = _json_or_none(source)
        if isinstance(doc, Mapping) and doc and set(doc) <= _META_KEYS:
            meta.update({k: doc[k] for k in ("name", "type", "description") if k in doc})
            source = doc.get("source")
    current = backend().template_record(template_id)
    ttype = meta.get("type") or current["type"]
    check_template_meta(meta.get("name") or current["name"], ttype)
    if source is not None or ttype != current["type"]:
        _compile_check(source if source is not None else current["source"], ttype)
    return envelope(backend().update_template(template_id, source=source, meta=meta))


@bp.delete("/<template_id>")
def delete_template(template_id: str) -> Response:
    backend().delete_template(template_id)
    return no_content()


@bp.get("/<template_id>/definition")
def get_template_definition(template_id: str) -> Response:
    """The source as a string in `data` (PERMISSIVE_TEMPLATE_API only: live Lytics does not give the source back)."""
    record = backend().template_record(template_id)
    if not _permissive():
        raise NotFound("the live API does not return a template's source (only the OpenAPI lists /definition); "
                       "keep your own copy, or set PERMISSIVE_TEMPLATE_API on mock Lytics")
    return envelope(record["source"])


@bp.post("/<template_id>/test")
def test_template(template_id: str) -> Response:
    """Render a stored template against {entity, job_config}; a template fault is still HTTP 200."""
    record = backend().template_record(template_id)
    return _render(record["source"], record["type"], _test_body())


@bp.post("/test")
def test_template_adhoc() -> Response:
    """Render an unsaved template: {template|source, type?, entity, job_config}."""
    body = _test_body()
    source = body.get("template", body.get("source"))
    if not isinstance(source, str) or not source.strip():
        raise BadRequest("ad-hoc template test needs 'template' (or 'source'): the template text")
    return _render(source, str(body.get("type") or "jsonnet"), body)


def _test_body() -> Mapping[str, Any]:
    body = json_body(required=False) or {}
    if not isinstance(body, Mapping):
        raise BadRequest("template test body must be a JSON object {entity, job_config}")
    for key in ("entity", "job_config"):
        if body.get(key) is not None and not isinstance(body[key], Mapping):
            raise BadRequest(f"template test '{key}' must be an object")
    return body


def _render(source: str, ttype: str, body: Mapping[str, Any]) -> Response:
    if not (_permissive() or request.args.get("desired_format") or body.get("desired_format")):
        raise MockApiError("desired_format is required (e.g. ?desired_format=json); the live API answers "
                           "a test without it with HTTP 500 and an empty body")
    if ttype != "jsonnet":
        raise NotSimulated(f"only jsonnet templates are simulated; this one is {ttype!r} (it is stored, not run)")
    entity = dict(body.get("entity") or backend().sample_entity())
    names = (body.get("sample_segments") or {}).get("names") if isinstance(body.get("sample_segments"), Mapping) \
        else None
    if names and "segment_events" not in entity:
        when = datetime.fromtimestamp(received(), UTC).isoformat().replace("+00:00", "Z")
        entity["segment_events"] = [{"id": backend().segment_id_for(str(n)), "slug": str(n), "event": "enter",
                                     "enter": when} for n in names]
    rendered = _engine().render_text(source, entity, dict(body.get("job_config") or {}))
    return envelope(rendered)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
