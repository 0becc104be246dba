"""Collect-side parsing (all of it before any state changes) and the stream registry.

`prepare()` turns a raw body into flat events and event times, or raises; only then does the backend apply
anything, which makes a request all-or-nothing: a malformed body stores nothing.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_lytics import jsontext
from mock_lytics.errors import BadRequest, PayloadTooLarge
from mock_lytics.timeutil import iso, parse_time

SAMPLE_SIZE = 100
_TOO_DEEP = "malformed JSON: nested too deeply; nothing was stored"
STREAM_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")


@dataclass(frozen=True)
class Prepared:
    events: list[dict[str, Any]]
    times: list[float]
    rejected: int


def flatten(event: Mapping[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested objects become dotted keys (`response.uuid`); lists stay lists; empty objects vanish."""
    out = {} if out is None else out
    for key, value in event.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flatten(value, name + ".", out)
        else:
            out[name] = value
    return out


def prepare(body: bytes, *, received: float, timestamp_field: str | None, max_event_bytes: int) -> Prepared:
    """Parse and validate a whole collect body; raises BadRequest / PayloadTooLarge before anything is stored.

    Array items that are not objects, and events whose timestamp_field value is present but not a time, are
    rejected (counted in rejected_count) rather than failing the request, like Lytics' per-row rejections.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"collect body is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise BadRequest("collect body is empty; expected a JSON object or an array of objects")
    try:
        doc = jsontext.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON at line {exc.lineno}, col {exc.colno}: {exc.msg}; nothing was stored") \
            from None
    except RecursionError:
        raise BadRequest(_TOO_DEEP) from None
    try:
        return _prepare_items(doc, received, timestamp_field, max_event_bytes)
    except RecursionError:  # flattening or measuring an event nested almost as deep as the parser allows
        raise BadRequest(_TOO_DEEP) from None


def _prepare_items(doc: Any, received: float, timestamp_field: str | None, max_event_bytes: int) -> Prepared:
    items = doc if isinstance(doc, list) else [doc]
    if not isinstance(doc, list | dict):
        raise BadRequest(f"collect body must be a JSON object or array of objects, got {type(doc).__name__}")
    events: list[dict[str, Any]] = []
    times: list[float] = []
    rejected = 0
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            rejected += 1
            continue
        size = len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode())
        if size > max_event_bytes:
            raise PayloadTooLarge(
                f"event at index {index} is {size} bytes serialized; the limit is {max_event_bytes} bytes per event")
        flat = flatten(item)
        event_ts = received
        if timestamp_field:
            raw = flat.get(timestamp_field)
            if raw is not None:
                parsed = parse_time(raw)
                if parsed is None:
                    rejected += 1
                    continue
                event_ts = parsed
        events.append(flat)
        times.append(event_ts)
    return Prepared(events, times, rejected)


@dataclass
class Stream:
    name: str
    created: float
    count: int = 0
    last_ts: float | None = None
    sample: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=SAMPLE_SIZE))

    def to_api(self) -> dict[str, Any]:
        return {"stream": self.name, "ct": self.count, "created": iso(self.created),
                "last_msg_ts": iso(self.last_ts) if self.last_ts is not None else None}


class Streams:
    """Streams come into being on first use; we keep counts and a small sample, not every event."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.by_name: dict[str, Stream] = {}

    def touch(self, name: str, now: float) -> Stream:
        stream = self.by_name.get(name)
        if stream is None:
            stream = self.by_name[name] = Stream(name, now)
        return stream

    def record(self, name: str, event: dict[str, Any], now: float) -> None:
        stream = self.touch(name, now)
        stream.count += 1
        stream.last_ts = now
        stream.sample.append(event)
