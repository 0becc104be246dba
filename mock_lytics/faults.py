"""Injected collect failures, so tests can prove a client's write-back retries and loses nothing.

One rule at a time (`POST /__admin/faults {"collect": {...}}`): answer collect requests with `status` for the
next `count` requests and/or for `duration_s` seconds, optionally only on one `stream`. A refused request is
refused before its body is read, so nothing it carried is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_lytics.collect import STREAM_NAME
from mock_lytics.errors import BadRequest

_KEYS = ("status", "count", "duration_s", "stream", "retry_after_s")


@dataclass
class CollectRule:
    status: int
    count: int | None
    until: float | None
    stream: str | None
    retry_after_s: int | None
    fired: int = 0

    def active(self, now: float) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        return self.until is None or now < self.until


def _int(spec: dict[str, Any], key: str, lo: int, hi: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadRequest(f"faults.collect.{key}: expected an integer from {lo} to {hi}, found {value!r}")
    return value


def parse_rule(spec: Any, now: float) -> CollectRule | None:
    """Validate a `collect` fault spec (None clears); raises BadRequest naming the bad key."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise BadRequest(f"faults.collect: expected an object or null, found {type(spec).__name__}")
    unknown = sorted(set(spec) - set(_KEYS))
    if unknown:
        raise BadRequest(f"faults.collect: unknown key(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}")
    status = _int(spec, "status", 400, 599)
    if status is None:
        raise BadRequest("faults.collect.status: required (the HTTP status to answer, 400-599)")
    count = _int(spec, "count", 1, 10**9)
    retry_after = _int(spec, "retry_after_s", 0, 3600)
    duration = spec.get("duration_s")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)
                                 or not 0 < duration <= 86400):
        raise BadRequest(f"faults.collect.duration_s: expected a number of seconds in (0, 86400], found {duration!r}")
    if count is None and duration is None:
        raise BadRequest("faults.collect: give count and/or duration_s (how long the failure lasts)")
    stream = spec.get("stream")
    if stream is not None and (not isinstance(stream, str) or not STREAM_NAME.match(stream)):
        raise BadRequest(f"faults.collect.stream: expected a stream name matching {STREAM_NAME.pattern}, "
                         f"found {stream!r}")
    until = now + float(duration) if duration is not None else None
    return CollectRule(status, count, until, stream, retry_after)


class Faults:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._collect: CollectRule | None = None

    def configure(self, doc: Any) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise BadRequest(f"faults: expected a JSON object like {{\"collect\": {{...}}}}, found "
                             f"{type(doc).__name__}")
        unknown = sorted(set(doc) - {"collect"})
        if unknown:
            raise BadRequest(f"faults: unknown key(s) {', '.join(unknown)}; known: collect")
        rule = parse_rule(doc.get("collect"), self._clock())  # validate fully before changing anything
        with self._lock:
            self._collect = rule
        return self.state()

    def reset(self) -> None:
        with self._lock:
            self._collect = None

    def collect_fault(self, stream: str) -> CollectRule | None:
        """The rule that refuses this collect request, counting it; None when the request may proceed."""
        now = self._clock()
        with self._lock:
            rule = self._collect
            if rule is None or not rule.active(now) or rule.stream not in (None, stream):
                return None
            rule.fired += 1
            return rule

    def state(self) -> dict[str, Any]:
        now = self._clock()
        with self._lock:
            rule = self._collect
            if rule is None:
                return {"collect": None}
            return {"collect": {"status": rule.status, "stream": rule.stream, "fired": rule.fired,
                                "remaining": None if rule.count is None else max(0, rule.count - rule.fired),
                                "seconds_left": None if rule.until is None else max(0.0, round(rule.until - now, 3)),
                                "retry_after_s": rule.retry_after_s, "active": rule.active(now)}}
