"""Moved to enrich_templates.jsonnet_guard (the template engine needs it and imports no harness); re-exported."""

from __future__ import annotations

from enrich_templates.jsonnet_guard import (
    ImportCallback,
    ImportRefused,
    Refusal,
    error_file,
    guard_import,
    guard_native,
)

__all__ = ["ImportCallback", "ImportRefused", "Refusal", "error_file", "guard_import", "guard_native"]
