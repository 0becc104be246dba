"""The request contract of Ansira's user upsert, shared by the mock and by the template checks.

One function decides what a valid body is, so the mock and the template linter can never disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs
from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

MAX_BODY_BYTES = 1_000_000

USER_REQUEST_SCHEMA: dict[str, Any] = json.loads(
    resources.files("mock_ansira").joinpath("schemas/user_request.schema.json").read_text(encoding="utf-8")
)
Draft202012Validator.check_schema(USER_REQUEST_SCHEMA)
_VALIDATOR = Draft202012Validator(USER_REQUEST_SCHEMA)
# The same schema compiled by jsonschema-rs answers "valid?" in ~1 µs where jsonschema takes ~290 µs, a quarter of
# the mock's CPU per request; jsonschema still explains an invalid body (its messages and paths are the contract).
_FAST = jsonschema_rs.Draft202012Validator(USER_REQUEST_SCHEMA)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a request body; `path` is dotted (`sourceCode.keyName`, `pets[0].name`, `$`)."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def format_path(parts: Iterable[str | int]) -> str:
    """Render a JSON path as `a.b[0].c`; the root is `$`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


def _schema_problems(error: ValidationError) -> list[Problem]:
    parts: list[str | int] = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        # Name the missing field itself, not its parent: "where" should point at what to add.
        missing = [r for r in error.validator_value if r not in error.instance]
        return [Problem(format_path([*parts, name]), "is required but missing") for name in missing]
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return [Problem(format_path(parts), f"expected {wanted}, got {json_type(error.instance)}")]
    return [Problem(format_path(parts), error.message)]


def json_type(value: object) -> str:
    """A value's JSON Schema type name: the contract's messages and `harness verify`'s shape comparison."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


@lru_cache(maxsize=65_536)
def email_problem(email: str) -> str | None:
    """Why `email` is not a plain address, or None; display-name forms (`Bob <b@x.com>`) are refused."""
    try:
        validate_email(email, check_deliverability=False, allow_display_name=False)
    except EmailNotValidError as exc:
        return f"not a valid email address: {exc}"
    return None


_LONE = re.compile("[\ud800-\udfff]")
_LONE_MESSAGE = "contains an unpaired UTF-16 surrogate escape (half of a pair): not valid Unicode text"


def _surrogate_problems(value: object, parts: list[str | int]) -> list[Problem]:
    """json.loads keeps an unpaired `\\uD8xx` escape as a lone code point: not Unicode text, and nothing can
    encode it (jsonschema-rs cannot even read such a key). Ansira's body must be text, so it is a problem."""
    if isinstance(value, str):
        return [Problem(format_path(parts), _LONE_MESSAGE)] if _LONE.search(value) else []
    out: list[Problem] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if _LONE.search(k):
                out.append(Problem(format_path([*parts, _LONE.sub("\ufffd", k)]), f"the key {_LONE_MESSAGE}"))
            else:
                out += _surrogate_problems(v, [*parts, k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _surrogate_problems(v, [*parts, i])
    return out


def request_problems(body: object, *, source_codes: Collection[str] | None = None) -> list[Problem]:
    """Every problem with a user upsert body, sorted by path; an empty list means Ansira would accept it."""
    lone = _surrogate_problems(body, [])
    if lone:  # the validators cannot read such a body reliably; this is what is wrong with it
        return sorted(set(lone))
    problems = [] if _FAST.is_valid(body) else [p for e in _VALIDATOR.iter_errors(body) for p in _schema_problems(e)]
    if isinstance(body, dict):
        email = body.get("email")
        if isinstance(email, str) and email:
            reason = email_problem(email)
            if reason is not None:
                problems.append(Problem("email", reason))
        source = body.get("sourceCode")
        key = source.get("keyName") if isinstance(source, dict) else None
        if source_codes is not None and isinstance(key, str) and key and key not in source_codes:
            known = ", ".join(sorted(source_codes)) or "(none configured)"
            problems.append(Problem("sourceCode.keyName", f"unknown source code {key!r}; known: {known}"))
    return sorted(set(problems))
