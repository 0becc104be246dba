"""What a probe's answer looks like, and where two answers differ.

Compared: status, content type, body kind, the `error` code, the presence and JSON type of keys (nested objects
and the first item of lists of objects, three levels deep), rate-limit header names, and the probe's derived facts
(`same id as user.create`, `token_type`). Never values that must differ between services: ids, uuids, tokens,
timestamps, descriptions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.redact import REDACTOR
from mock_ansira.contract import json_type

RATE_HEADERS = ("retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-limit",
                "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy")
_DEPTH = 3
_NOTE_MAX = 200


@dataclass
class Observation:
    """One answer, reduced to what may be compared (plus a redacted note for humans)."""

    status: int | None = None
    content_type: str | None = None
    body_kind: str = "empty"  # object | list | scalar | not-json | empty
    error: str | None = None
    shape: dict[str, str] = field(default_factory=dict)
    rate_headers: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # error_description or transport failure, redacted; shown, never compared
    skipped: str | None = None  # why the probe was not sent (call cap, no token)

    def summary(self) -> str:
        if self.skipped:
            return f"not sent ({self.skipped})"
        if self.status is None:
            return "no answer"
        return f"{self.status} {self.error}" if self.error else f"{self.status} {self.body_kind}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Difference:
    what: str
    real: Any
    mock: Any

    def __str__(self) -> str:
        return f"{self.what}: real {_show(self.real)}, mock {_show(self.mock)}"

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "real": self.real, "mock": self.mock}


def _show(value: Any) -> str:
    return "absent" if value is None else json.dumps(value) if not isinstance(value, str) else value


def shape(value: Any, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """Dotted key path -> JSON type; lists of objects contribute their first item as `key[]`."""
    out: dict[str, str] = {}
    if isinstance(value, list):
        if value and isinstance(value[0], dict) and depth < _DEPTH:
            out.update(shape(value[0], f"{prefix}[]", depth + 1))
        return out
    if not isinstance(value, dict):
        return out
    for key, item in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        out[path] = json_type(item)
        if depth + 1 < _DEPTH and isinstance(item, dict | list):
            out.update(shape(item, path, depth + 1))
    return out


def parse_body(content: bytes) -> tuple[str, Any]:
    if not content.strip():
        return "empty", None
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return "not-json", None
    return ("object" if isinstance(body, dict) else "list" if isinstance(body, list) else "scalar"), body


def observe(status: int, headers: Any, content: bytes) -> tuple[Observation, Any]:
    """Reduce a response to an Observation; also returns the parsed body for the probe's facts."""
    kind, body = parse_body(content)
    headers = {str(k).lower(): v for k, v in headers.items()}
    ctype = headers.get("content-type")
    obs = Observation(status=status, content_type=ctype.split(";")[0].strip().lower() if ctype else None,
                      body_kind=kind, shape=shape(body),
                      rate_headers=sorted(h for h in RATE_HEADERS if headers.get(h) is not None))
    if isinstance(body, dict):
        error = body.get("error")
        obs.error = error if isinstance(error, str) else None
        note = body.get("error_description") or body.get("message")
        if isinstance(note, str):
            obs.note = REDACTOR(note[:_NOTE_MAX])
    return obs, body


def failed(reason: str) -> Observation:
    return Observation(note=REDACTOR(reason[:_NOTE_MAX]), body_kind="none")


def compare(real: Observation, mock: Observation) -> list[Difference]:
    """Every way the two answers differ; empty when they match."""
    if real.skipped or mock.skipped:
        return [] if real.skipped == mock.skipped else [Difference("sent", real.summary(), mock.summary())]
    diffs = [Difference(name, getattr(real, name), getattr(mock, name))
             for name in ("status", "content_type", "body_kind", "error") if getattr(real, name) != getattr(mock, name)]
    for key in sorted(set(real.shape) | set(mock.shape)):
        r, m = real.shape.get(key), mock.shape.get(key)
        if r != m:
            what = f"key {key}" if r is None or m is None else f"type of {key}"
            diffs.append(Difference(what, r, m))
    if real.rate_headers != mock.rate_headers:
        diffs.append(Difference("rate-limit headers", ", ".join(real.rate_headers) or None,
                                ", ".join(mock.rate_headers) or None))
    for key in sorted(set(real.facts) | set(mock.facts)):
        if real.facts.get(key) != mock.facts.get(key):
            diffs.append(Difference(key, real.facts.get(key), mock.facts.get(key)))
    return diffs
