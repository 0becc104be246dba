"""OpenAPI 3.1 description generated from the app's own url_map, so no route can be left out.

Each operation's summary is the first line of its view's docstring; operationId is the view (vendor
operation) name, suffixed when one view serves several paths (v1 and v2 forms).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from flask import Flask

_PARAM = re.compile(r"<(?:[a-z]+:)?([A-Za-z_][A-Za-z0-9_]*)>")
_ENVELOPE = {
    "type": "object",
    "required": ["data", "status", "message"],
    "properties": {"data": {}, "status": {"type": "integer"}, "message": {"type": "string"},
                   "request_id": {"type": "string"}},
}
_BODIES = {
    "collect.collect_json": {"application/json": {"schema": {}}},
    "query.upsert_query": {"text/plain": {"schema": {"type": "string"}}},
    "query.validate_query": {"text/plain": {"schema": {"type": "string"}}},
    "query.test_query": {"text/plain": {"schema": {"type": "string"}}},
    "segments.create_segment": {"text/plain": {"schema": {"type": "string"}},
                                "application/json": {"schema": {"type": "object"}}},
    "segments.validate_segment": {"text/plain": {"schema": {"type": "string"}}},
    "segments.size_segment": {"text/plain": {"schema": {"type": "string"}}},
    "templates.create_template": {"text/plain": {"schema": {"type": "string"}}},
    "templates.update_template": {"text/plain": {"schema": {"type": "string"}}},
}

_NO_BODY = frozenset({"admin.reset", "admin.reevaluate_segments", "jobs.job_action"})  # POSTs that read no body


def _merged_paths(app: Flask) -> dict[str, str]:
    """Flask rule → OpenAPI path. Rules that differ only in parameter names (`/v2/job/<workflow>` for POST,
    `/v2/job/<job_id>` for GET, as Lytics has them) are one path to OpenAPI, which forbids such twins: they share
    one template whose parameter is named after both (`{job_id_or_workflow}`)."""
    names: dict[str, list[list[str]]] = {}
    for rule in app.url_map.iter_rules():
        shape = _PARAM.sub("{}", rule.rule)
        names.setdefault(shape, []).append(_PARAM.findall(rule.rule))
    merged: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        shape = _PARAM.sub("{}", rule.rule)
        pieces = shape.split("{}")
        params = ["{" + "_or_".join(sorted(set(col))) + "}" for col in zip(*names[shape], strict=True)]
        merged[rule.rule] = "".join(a + b for a, b in zip(pieces, [*params, ""], strict=True))
    return merged


def build_openapi(app: Flask) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    merged = _merged_paths(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        path = merged[rule.rule]
        view = app.view_functions[rule.endpoint]
        doc = inspect.getdoc(view) or rule.endpoint
        params = list(zip(re.findall(r"\{([^}]+)\}", path), _PARAM.findall(rule.rule), strict=True))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op_id = rule.endpoint.split(".")[-1]
            if op_id in used:
                op_id = f"{op_id}__{method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}"
            used.add(op_id)
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, op_id, doc, params, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mock Lytics", "version": "1.0.0",
                 "description": "Local simulator of the Lytics APIs used by webhook user enrichment; "
                                "/__admin/* is the simulator's internal plane."},
        "paths": paths,
        "components": {
            "schemas": {"Envelope": _ENVELOPE},
            "securitySchemes": {
                "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "Authorization",
                                 "description": "the raw API key, no 'Bearer ' prefix"},
                "ApiKeyQuery": {"type": "apiKey", "in": "query", "name": "key"},
                "AccessTokenQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
                "AdminKey": {"type": "apiKey", "in": "header", "name": "X-Admin-Key",
                             "description": "required on /__admin/* only when ADMIN_KEY is configured"},
            },
        },
    }


def _operation(endpoint: str, op_id: str, doc: str, params: list[tuple[str, str]], method: str) -> dict[str, Any]:
    blueprint = endpoint.split(".")[0]
    summary, _, description = doc.partition("\n")
    op: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary.strip(),
        "tags": [blueprint],
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"},
                        **({"description": f"the {own} for this operation"} if own != name else {})}
                       for name, own in params],
        "responses": {
            "200": {"description": "success envelope",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}},
            "default": {"description": "error envelope (data null)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}},
        },
    }
    if description.strip():
        op["description"] = description.strip()
    if method == "DELETE":
        op["responses"]["204"] = {"description": "deleted"}
    if method in ("POST", "PUT") and endpoint not in _NO_BODY:
        op["requestBody"] = {"required": False,
                             "content": _BODIES.get(endpoint, {"application/json": {"schema": {"type": "object"}}})}
    if blueprint == "api_docs":  # Swagger UI at /docs: HTML, CSS and JS, not the JSON envelope
        op["responses"]["200"] = {"description": "Swagger UI: its page or one of its files"}
    if endpoint in ("admin.health", "meta.openapi") or blueprint == "api_docs":
        op["security"] = []
    elif blueprint == "admin":
        op["security"] = [{"AdminKey": []}]
    else:
        op["security"] = [{"ApiKeyHeader": []}, {"ApiKeyQuery": []}, {"AccessTokenQuery": []}]
    return op
