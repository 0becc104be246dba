"""What a template sees (the entity) and what leaves the runner (the body), shared by runner, mock and CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from enrich_templates.errors import TemplateEvalError, TemplateInputError

OVERRIDE_KEYS = ("ly_template_url", "ly_template_headers", "ly_template_body")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP token (RFC 9110 section 5.1)
_HEADER_BREAK = re.compile(r"[\r\n\x00]")


def _selected(profile: Mapping[str, Any], user_fields: Sequence[str] | None) -> dict[str, Any]:
    if not isinstance(profile, Mapping):
        raise TemplateInputError(f"profile must be a JSON object, got {type(profile).__name__}")
    if user_fields is None or len(user_fields) == 0:
        return dict(profile)
    if isinstance(user_fields, str) or not all(isinstance(f, str) for f in user_fields):
        raise TemplateInputError(f"user_fields must be a list of field names, got {user_fields!r}")
    # Export fields the profile lacks are left out rather than sent as null: Lytics sends only known values.
    return {name: profile[name] for name in user_fields if name in profile}


def default_payload(profile: Mapping[str, Any], user_fields: Sequence[str] | None) -> dict[str, Any]:
    """The enrichment body when the job has no template: the selected fields as a flat object (facts §2.3)."""
    body = _selected(profile, user_fields)
    body.pop("segment_events", None)
    return body


def build_entity(
    profile: Mapping[str, Any], user_fields: Sequence[str] | None, segment_events: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The entity a template sees: the exported fields (all when user_fields is empty) + segment_events."""
    entity = _selected(profile, user_fields)
    entity["segment_events"] = [dict(ev) for ev in segment_events]
    return entity


def lookup_table(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The entity plus a dotted key for every path into its map fields: `get('a.b')` is one jsonnet lookup.

    A top-level key that literally contains a dot wins over the nested path of the same spelling.
    """
    table = dict(entity)
    stack = [(key, value) for key, value in entity.items() if isinstance(value, Mapping)]
    while stack:
        prefix, mapping = stack.pop()
        for key, value in mapping.items():
            path = f"{prefix}.{key}"
            table.setdefault(path, value)
            if isinstance(value, Mapping):
                stack.append((path, value))
    return table


def split_override(value: Any) -> tuple[str | None, dict[str, str] | None, Any]:
    """Split a template result into (url, headers, body).

    A result holding any ly_template_* key overrides the request: `ly_template_url` the webhook URL,
    `ly_template_headers` extra headers, `ly_template_body` the body (absent = no body). Any other result
    is the body itself. A malformed override is a template fault, reported as TemplateEvalError.
    """
    if not isinstance(value, dict) or not any(k in value for k in OVERRIDE_KEYS):
        return None, None, value
    extra = sorted(k for k in value if k not in OVERRIDE_KEYS)
    if extra:
        raise TemplateEvalError(
            f"the result mixes ly_template_* keys with body fields {', '.join(extra)}; "
            "put the body under ly_template_body"
        )
    url = value.get("ly_template_url")
    if url is not None and (not isinstance(url, str) or not url):
        raise TemplateEvalError(f"ly_template_url must be a non-empty string, got {json.dumps(url)[:80]}")
    headers = value.get("ly_template_headers")
    if headers is not None:
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise TemplateEvalError(
                f"ly_template_headers must be an object of string values, got {json.dumps(headers)[:80]}"
            )
        for name, v in headers.items():
            if not _HEADER_NAME.fullmatch(name) or _HEADER_BREAK.search(v):
                raise TemplateEvalError(
                    f"ly_template_headers: {json.dumps(name)[:80]} is not a valid header (a name must be an HTTP "
                    "token and a value must not hold CR, LF or NUL)"
                )
        headers = dict(headers)
    return url, headers, value.get("ly_template_body")


def encode_body(body: Any) -> bytes:
    """The exact bytes the runner sends: compact UTF-8 JSON; no body (None) is empty."""
    if body is None:
        return b""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
