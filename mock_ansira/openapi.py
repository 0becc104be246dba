"""The OpenAPI 3.1 description served at /openapi.json.

As for mock Lytics, the skeleton (which paths and methods exist) is generated from the app's url_map, so no
route can be missing or stale; what the code cannot say by itself (response shapes for each status, the vendor
contract) is written per operation here, as an overlay keyed by path and method. A route without an overlay still
appears (summary from its view's docstring); an overlay without a route fails the build. Request/behaviour
schemas are not retyped: they come from the contract file and the pydantic models, with their `$defs` lifted into
`components/schemas`.
"""

from __future__ import annotations

import copy
import inspect
import re
from functools import cache
from typing import Any

from flask import Flask

from mock_ansira.behaviour import Behaviour
from mock_ansira.contract import USER_REQUEST_SCHEMA
from mock_ansira.journal import JournalEntry
from mock_ansira.reference import KINDS

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _lift(schema: dict[str, Any], prefix: str, into: dict[str, Any]) -> dict[str, Any]:
    """Move `$defs` into components (as `<prefix><Name>`) and point every `$ref` there."""
    schema = copy.deepcopy(schema)
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    defs = schema.pop("$defs", {})

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (f"#/components/schemas/{prefix}{v.removeprefix('#/$defs/')}" if k == "$ref" else fix(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [fix(item) for item in node]
        return node

    for name, sub in defs.items():
        into[f"{prefix}{name}"] = fix(sub)
    return fix(schema)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Invalid request (problems name each bad path)",
        401: "Authentication failed",
        403: "The token lacks the scope this operation requires (behaviour `required_scopes`)",
        404: "Not found",
        405: "Method not allowed",
        413: "Body over 1 MB",
        429: "Rate limited (Retry-After and X-RateLimit-* unless the limit hides headers)",
        500: "Injected server error",
        503: "Injected outage",
        504: "Injected timeout",
    }
    return {str(code): _json(_ref("Error"), text[code]) for code in codes}


_API_ERRORS = (400, 401, 403, 429, 500, 503, 504)
_API_SECURITY: list[dict[str, list[str]]] = [{"accessTokenQuery": []}, {"bearer": []}]
_ADMIN_SECURITY: list[dict[str, list[str]]] = [{"adminKey": []}, {}]


def _op(op_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"operationId": op_id, "summary": summary, "responses": responses, **extra}


def _overlays() -> dict[str, Any]:
    token_form = {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"const": "client_credentials"},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
            "scope": {"type": "string"},
        },
    }
    query = [
        {"name": n, "in": "query", "required": n == "grant_type", "schema": {"type": "string"}}
        for n in ("grant_type", "client_id", "client_secret", "scope")
    ]
    token_ok = {"200": _json(_ref("TokenResponse"), "A bearer token (Cache-Control: no-store)")}
    token_errors = {
        "400": _json(_ref("Error"), "invalid_request, unsupported_grant_type or invalid_scope"),
        **_errors(401, 429, 500, 503, 504),
    }
    user_body = {"required": True, "content": {JSON: {"schema": _ref("UserRequest")}}}
    upsert = {
        "201": _json(_ref("User"), "User created"),
        "200": _json(_ref("User"), "User existed (upsert by email)"),
        **_errors(*_API_ERRORS, 413),
    }
    paths: dict[str, Any] = {
        "/service/oauth/v2/token": {
            "get": _op(
                "issueTokenGet",
                "Client-credentials token via query (as Ansira's SDKs call it)",
                {**token_ok, **token_errors},
                parameters=query,
            ),
            "post": _op(
                "issueToken",
                "Client-credentials token (RFC 6749 §4.4), Basic or body credentials",
                {**token_ok, **token_errors},
                requestBody={
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": token_form},
                        JSON: {"schema": token_form},
                    },
                },
            ),
        },
        "/service/api/v2/user": {
            "post": _op("createUser", "Upsert a user by email", upsert, requestBody=user_body, security=_API_SECURITY)
        },
        "/service/api/v2/users": {
            "post": _op(
                "createUsers",
                "Upsert a user by email (plural spelling)",
                upsert,
                requestBody=user_body,
                security=_API_SECURITY,
            ),
            "get": _op(
                "listUsers",
                "Users with this email (0 or 1)",
                {"200": _json({"type": "array", "items": _ref("User")}, "Matching users"), **_errors(*_API_ERRORS)},
                parameters=[{"name": "email", "in": "query", "required": True, "schema": {"type": "string"}}],
                security=_API_SECURITY,
            ),
        },
        "/service/api/v2/users/{user_id}": {
            "get": _op(
                "getUser",
                "One user by numeric id",
                {"200": _json(_ref("User"), "The user"), **_errors(*_API_ERRORS, 404)},
                parameters=[{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                security=_API_SECURITY,
            ),
        },
        "/openapi.json": {"get": _op("openapi", "This document", {"200": {"description": "OpenAPI 3.1"}})},
        "/docs/": {"get": _op("apiDocs", "Swagger UI for this document (HTML, offline, not journaled)",
                              {"200": {"description": "Swagger UI"}})},
        "/docs/{path}": {
            "get": _op(
                "apiDocsFile",
                "Swagger UI's own files",
                {"200": {"description": "a file of Swagger UI"}, **_errors(404)},
                parameters=[{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}],
            )
        },
    }
    for kind in KINDS:
        item_param = [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
        paths[f"/service/api/v2/{kind}"] = {
            "get": _op(
                f"list_{kind}",
                f"Reference data: {kind}",
                {"200": _json({"type": "array", "items": _ref("ReferenceItem")}, kind), **_errors(*_API_ERRORS)},
                security=_API_SECURITY,
            )
        }
        paths[f"/service/api/v2/{kind}/{{item_id}}"] = {
            "get": _op(
                f"get_{kind}",
                f"One {kind} item",
                {"200": _json(_ref("ReferenceItem"), "The item"), **_errors(*_API_ERRORS, 404)},
                parameters=item_param,
                security=_API_SECURITY,
            )
        }
    paths.update(_admin_paths())
    return paths


_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)>")


def _rule_paths(rule: str) -> list[str]:
    """Flask rule -> OpenAPI path(s); an `any(a, b)` converter is one path per choice (each is its own resource)."""
    found = _PARAM.search(rule)
    if found is None:
        return [rule]
    head, tail = rule[:found.start()], rule[found.end():]
    if found["conv"] == "any":
        choices = [c.strip() for c in (found["args"] or "").split(",")]
        return [head + c + rest for c in choices for rest in _rule_paths(tail)]
    return [head + "{" + found["name"] + "}" + rest for rest in _rule_paths(tail)]


def _generated(app: Flask, endpoint: str, path: str, method: str) -> dict[str, Any]:
    """An operation no overlay describes: named after its view, summarised by its docstring."""
    doc = inspect.getdoc(app.view_functions[endpoint]) or endpoint
    op_id = f"{endpoint.split('.')[-1]}_{method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}"
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"\{([^}]+)\}", path)]
    security = _ADMIN_SECURITY if path.startswith("/__admin") else _API_SECURITY
    return _op(op_id, doc.partition("\n")[0], {"200": {"description": "success"}}, parameters=params,
               security=security)


def _paths(app: Flask) -> dict[str, Any]:
    overlays = _overlays()
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for path in _rule_paths(rule.rule):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}, key=str.lower):
                written = overlays.get(path, {}).pop(method.lower(), None)
                paths.setdefault(path, {})[method.lower()] = written or _generated(app, rule.endpoint, path, method)
    stale = sorted(f"{method.upper()} {path}" for path, ops in overlays.items() for method in ops)
    if stale:
        raise ValueError(f"OpenAPI overlays describe operations the app does not serve: {', '.join(stale)}")
    return paths


def _admin_paths() -> dict[str, Any]:
    def admin(
        op_id: str, summary: str, schema: dict[str, Any], body: dict[str, Any] | None = None, *, status: str = "200",
        **extra: Any
    ) -> dict[str, Any]:
        responses = {status: _json(schema, summary), **_errors(400, 401, 405)}
        if body is not None:
            extra["requestBody"] = {"required": False, "content": {JSON: {"schema": body}}}
        return _op(op_id, summary, responses, security=_ADMIN_SECURITY, **extra)

    obj = {"type": "object"}
    counted: dict[str, Any] = {"type": "object", "properties": {"client_id": {"type": "string"}},
                               "additionalProperties": False}
    return {
        "/__admin/reset": {"post": admin("adminReset", "Back to the start-up state", obj)},
        "/__admin/behaviour": {
            "get": admin("getBehaviour", "The behaviour document (secrets masked)", _ref("Behaviour")),
            "put": admin("putBehaviour", "Replace the behaviour document", _ref("Behaviour"), _ref("Behaviour")),
            "patch": admin("patchBehaviour", "Merge-patch (clients merge by client_id)", _ref("Behaviour"), obj),
        },
        "/__admin/users": {
            "get": admin("adminListUsers", "Every stored user", {"type": "array", "items": _ref("User")}),
            "post": admin(
                "adminSeedUsers",
                "Seed users (fields win over Faker data) and/or generate N",
                obj,
                {
                    "type": "object",
                    "properties": {
                        "users": {"type": "array", "items": {
                            "type": "object", "required": ["email"], "properties": {"email": {"type": "string"}},
                        }},
                        "generate": {"type": "integer", "minimum": 0, "maximum": 100_000},
                    },
                    "additionalProperties": False,
                },
                status="201",
            ),
        },
        "/__admin/tokens/revoke": {
            "post": admin("revokeTokens", "Revoke live tokens (one client or all)", obj, counted)
        },
        "/__admin/tokens/expire": {
            "post": admin(
                "expireTokens",
                "Expire live tokens now, or cap their remaining life at ttl_s",
                obj,
                {**counted, "properties": {**counted["properties"], "ttl_s": {"type": "number", "minimum": 0}}},
            )
        },
        "/__admin/journal": {
            "get": admin(
                "getJournal",
                "Journal entries with seq > after, oldest first",
                _ref("JournalPage"),
                parameters=[
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100_000}},
                    {"name": "bodies", "in": "query", "description": "add request_body and response_body (capped, "
                     "credentials masked; null when not kept)", "schema": {"type": "string",
                                                                          "enum": ["true", "false", "1", "0"]}},
                ],
            ),
            "delete": admin("clearJournal", "Forget the journal and its totals", obj),
        },
        "/__admin/journal/summary": {"get": admin("journalSummary", "Totals since reset", _ref("JournalSummary"))},
        "/__admin/health": {"get": admin("health", "Liveness and counts", obj)},
    }


def _entry_schema() -> dict[str, Any]:
    nullable = {
        "seq": "integer",
        "ts": "number",
        "duration_ms": "number",
        "method": "string",
        "path": "string",
        "status": "integer",
    }
    props: dict[str, Any] = {k: {"type": t} for k, t in nullable.items()}
    for key in ("operation", "client_id", "email", "fault", "request_id"):
        props[key] = {"type": ["string", "null"]}
    props["retry_after"] = {"type": ["number", "null"]}
    assert set(props) == set(JournalEntry.__annotations__)
    required = sorted(props)
    for key in ("request_body", "response_body"):  # only with ?bodies=true
        props[key] = {"type": ["string", "null"]}
    return {"type": "object", "required": required, "properties": props, "additionalProperties": False}


@cache
def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    schemas["UserRequest"] = _lift(USER_REQUEST_SCHEMA, "UserRequest_", schemas)
    schemas["Behaviour"] = _lift(Behaviour.model_json_schema(mode="validation"), "Behaviour_", schemas)
    # Not writeOnly: GET answers it masked ("**********") so that the document can be PUT back unchanged.
    secret = schemas["Behaviour_Client"]["properties"]["client_secret"]
    secret.pop("writeOnly", None)
    secret["description"] = "shown as ********** in responses; sending that mask back keeps the current secret"
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    schemas.update(
        {
            "Error": {
                "type": "object",
                "required": ["error", "error_description"],
                "properties": {
                    "error": {"type": "string"},
                    "error_description": {"type": "string"},
                    "problems": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["path", "message"],
                            "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                        },
                    },
                },
            },
            "TokenResponse": {
                "type": "object",
                "required": ["access_token", "token_type", "expires_in"],
                "properties": {
                    "access_token": {"type": "string"},
                    "token_type": {"const": "bearer"},
                    "expires_in": {"type": "integer"},
                    "scope": {"type": "string"},
                },
            },
            "ReferenceItem": {
                "type": "object",
                "required": ["id", "keyName", "name"],
                "properties": {"id": {"type": "integer"}, "keyName": {"type": "string"}, "name": {"type": "string"}},
            },
            "User": {
                "type": "object",
                "required": ["id", "uuid", "email", "enabled", "createdAt", "updatedAt"],
                "properties": {
                    "id": {"type": "integer"},
                    "uuid": {"type": "string", "format": "uuid"},
                    "email": {"type": "string"},
                    "sourceCode": {"type": ["object", "null"]},
                    "enabled": {"type": "boolean"},
                    "createdAt": {"type": "string"},
                    "updatedAt": {"type": "string"},
                },
            },
            "JournalEntry": _entry_schema(),
            "JournalPage": {
                "type": "object",
                "properties": {
                    "entries": {"type": "array", "items": _ref("JournalEntry")},
                    "next_after": {"type": "integer"},
                    "dropped": {"type": "integer"},
                },
            },
            "JournalSummary": {
                "type": "object",
                "properties": {
                    "total": {"type": "integer"},
                    "by_operation": counts,
                    "by_status": counts,
                    "by_client": counts,
                    "per_email": counts,
                    "tokens_issued": {"type": "integer"},
                    "dropped": {"type": "integer"},
                },
            },
        }
    )
    return schemas


def build_openapi(app: Flask) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mock Ansira API",
            "version": "1.0.0",
            "description": "Faithful local mock of Ansira's OAuth token endpoint and v2 user API, plus its "
            "/__admin control plane.",
        },
        "paths": _paths(app),
        "components": {
            "schemas": copy.deepcopy(_components()),
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/service/oauth/v2/token", "scopes": {}}},
                },
                "accessTokenQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "adminKey": {"type": "apiKey", "in": "header", "name": "X-Admin-Key"},
            },
        },
    }
