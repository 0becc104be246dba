"""`harness template render|check` (cli, check, inputs, samples, report); the engine itself is enrich_templates.

The names below are re-exported from enrich_templates so code written against `harness.templates` keeps working;
new code imports enrich_templates.
"""

from __future__ import annotations

from enrich_templates import (
    Evaluation,
    Rendered,
    TemplateEngine,
    build_entity,
    default_payload,
    encode_body,
    split_override,
)

Outcome = Evaluation  # its name before "Outcome" was left to the runner's per-user outcome; kept for old imports

__all__ = [
    "Evaluation",
    "Outcome",
    "Rendered",
    "TemplateEngine",
    "build_entity",
    "default_payload",
    "encode_body",
    "split_override",
]
