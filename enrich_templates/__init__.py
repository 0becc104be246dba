"""Lytics-style jsonnet webhook templates: the engine, the lytemplates library, the sandbox and the bounds.

A package of its own (no harness import) because the runner, mock Lytics and the template CLI all render
through it and it belongs to none of them.

engine = TemplateEngine()
entity = build_entity(profile, job["user_fields"], segment_events)
body = engine.render(source, entity, job_config).value      # TemplateAssertionFailed -> omit the user
url, headers, body = split_override(body)
requests.post(url or job["webhook_url"], data=encode_body(body), headers=...)
"""

from __future__ import annotations

from enrich_templates.engine import BoundTemplate, Rendered, TemplateEngine
from enrich_templates.errors import (
    TemplateAssertionFailed,
    TemplateError,
    TemplateEvalError,
    TemplateImportRefused,
    TemplateInputError,
    TemplateTimeout,
)
from enrich_templates.outcome import Evaluation
from enrich_templates.payload import build_entity, default_payload, encode_body, split_override

__all__ = [
    "BoundTemplate",
    "Evaluation",
    "Rendered",
    "TemplateAssertionFailed",
    "TemplateEngine",
    "TemplateError",
    "TemplateEvalError",
    "TemplateImportRefused",
    "TemplateInputError",
    "TemplateTimeout",
    "build_entity",
    "default_payload",
    "encode_body",
    "split_override",
]
