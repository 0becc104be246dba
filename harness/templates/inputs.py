"""Read the CLI's input files (template, job config, profile, segment events) with clear errors."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _gojsonnet

from enrich_templates.jsonnet_guard import ImportRefused, Refusal, guard_import
from harness.errors import ConfigError


def read_template(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: template file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the template: {exc}") from None


def _refuse_imports(base_dir: str, rel: str) -> tuple[str, bytes]:
    raise ImportRefused("refused: job, profile and event files may not import other files")


def _load_document(path: str, what: str) -> Any:
    if path == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            text, name = Path(path).read_text(encoding="utf-8"), path
        except FileNotFoundError:
            raise ConfigError(f"{path}: {what} file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the {what} file: {exc}") from None
    if name.endswith(".json") or name == "<stdin>":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{name}: not valid JSON: {exc}") from None
    refusals: list[Refusal] = []
    try:  # jsonnet (JSON is valid jsonnet); no imports, so a job file cannot read other files
        out = _gojsonnet.evaluate_snippet(name, text, import_callback=guard_import(_refuse_imports, refusals))
    except RuntimeError as exc:
        if not refusals:
            raise ConfigError(f"{name}: not valid JSON or jsonnet: {str(exc).strip().splitlines()[0]}") from None
    if refusals:
        raise ConfigError(f"{name}: import {refusals[0].rel!r}: {refusals[0].reason}")
    return json.loads(out)


def load_job_config(path: str) -> dict[str, Any]:
    """A webhook_enrichment job config, bare (`{"user_fields": [...]}`) or as a job (`{"config": {...}}`)."""
    doc = _load_document(path, "job")
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a job file must hold a JSON object, got {type(doc).__name__}")
    config = doc["config"] if isinstance(doc.get("config"), dict) else doc
    fields = config.get("user_fields")
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)):
        raise ConfigError(f"{path}: user_fields must be a list of field names, got {json.dumps(fields)[:80]}")
    return dict(config)


def load_profile(path: str) -> dict[str, Any]:
    doc = _load_document(path, "profile")
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a profile must be a JSON object, got {type(doc).__name__}")
    return doc


def parse_fields(text: str) -> list[str]:
    fields = [f.strip() for f in text.split(",") if f.strip()]
    if not fields:
        raise ConfigError(f"--fields: expected comma-separated field names, got {text!r}")
    return fields


def parse_segment_event(spec: str, *, now: datetime | None = None) -> dict[str, Any]:
    """`enter:slug` or `exit:slug` -> a segment_event; the id is derived from the slug (stable per slug)."""
    kind, sep, slug = spec.partition(":")
    if not sep or kind not in ("enter", "exit") or not slug:
        raise ConfigError(f"--segment-event: expected enter:<slug> or exit:<slug>, got {spec!r}")
    when = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    return {"id": hashlib.md5(slug.encode()).hexdigest(), "slug": slug, "event": kind, kind: when}
