"""Swagger UI at /docs for this mock's /openapi.json, offline: flask-swagger-ui ships swagger-ui's own files
(no validator badge: it would call an online service)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_swagger_ui import get_swaggerui_blueprint

from mock_ansira.http import RECORD_KEY

BLUEPRINT = "api_docs"


def blueprint() -> Blueprint:
    bp = get_swaggerui_blueprint("/docs", "/openapi.json", blueprint_name=BLUEPRINT,
                                 config={"app_name": "mock Ansira API", "validatorUrl": None})

    @bp.before_request
    def _not_journaled() -> None:  # a person reading the docs is not the system under test
        request.environ[RECORD_KEY]["journal"] = False

    return bp
