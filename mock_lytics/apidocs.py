"""Swagger UI at /docs for this mock's /openapi.json, offline: flask-swagger-ui ships swagger-ui's own files
(no validator badge: it would call an online service)."""

from __future__ import annotations

from flask import Blueprint
from flask_swagger_ui import get_swaggerui_blueprint

BLUEPRINT = "api_docs"  # open like /openapi.json (no key), and left out of the OpenAPI document


def blueprint() -> Blueprint:
    return get_swaggerui_blueprint("/docs", "/openapi.json", blueprint_name=BLUEPRINT,
                                   config={"app_name": "mock Lytics API", "validatorUrl": None})
