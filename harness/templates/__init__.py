"""Lytics-style jsonnet webhook templates: the engine, the lytemplates library, the sandbox and the checks.

engine = TemplateEngine()
entity = build_entity(profile, job["user_fields"], segment_events)
body = engine.render(source, entity, job_config).value      # TemplateAssertionFailed -> omit the user
url, headers, body = split_override(body)
requests.post(url or job["webhook_url"], data=encode_body(body), headers=...)
"""

from __future__ import annotations

from harness.templates.engine import Outcome, Rendered, TemplateEngine
from harness.templates.payload import build_entity, default_payload, encode_body, split_override

__all__ = [
    "Outcome",
    "Rendered",
    "TemplateEngine",
    "build_entity",
    "default_payload",
    "encode_body",
    "split_override",
]
