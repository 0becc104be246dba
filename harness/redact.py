"""Keep secrets out of every string the harness emits (logs, reports, exceptions, journals).

Two layers: known secret values (client secrets, API keys, every token issued) are replaced wherever they
occur, and well-known carriers (`access_token=`, `client_secret=`, `Authorization:` headers) are masked even
when the value was never registered.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SENSITIVE_PARAMS = frozenset({"access_token", "client_secret", "key", "token", "refresh_token", "api_key"})
_PARAM_RE = re.compile(r"(?i)\b(access_token|client_secret|refresh_token|api_key|key|token)=([^&\s'\"<>]+)")
# JSON keys whose string value is a credential whatever it looks like (the text form is caught by the regexes)
_SENSITIVE_KEYS = frozenset({"authorization", "x-admin-key", "access_token", "client_secret", "refresh_token",
                             "api_key"})
_AUTH_HEADER_RE = re.compile(
    r"(?i)(authorization|x-admin-key)(['\"]?\s*[:=]\s*['\"]?)(bearer\s+|basic\s+)?([^\s'\",}]+)")


class Redactor:
    """A thread-safe set of secret values plus pattern masks; share one per process."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def known(self) -> tuple[str, ...]:
        """The registered values, to hand to another process's redactor (a scenario run in a worker process
        registers its stack's secrets there; the parent writes the reports)."""
        with self._lock:
            return tuple(self._secrets)

    def add(self, *values: str | None) -> None:
        """Register secret values; short values (< 6 chars) are ignored to avoid masking ordinary words."""
        with self._lock:
            added = False
            for v in values:
                if v and len(v) >= 6 and v not in self._secrets:
                    self._secrets.add(v)
                    added = True
            if added:
                alts = sorted((re.escape(s) for s in self._secrets), key=len, reverse=True)
                self._pattern = re.compile("|".join(alts))

    def __call__(self, text: object) -> str:
        s = str(text)
        pattern = self._pattern
        if pattern is not None:
            s = pattern.sub(MASK, s)
        s = _PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK}", s)
        return _AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{MASK}", s)

    def tree(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string (keys too) redacted; other values as they are."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: _masked(k, v) if _is_credential(k, v) else self.tree(v)
                    for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.tree(v) for v in value]
        return value

    def json(self, value: Any, **dumps: Any) -> str:
        """json.dumps of the redacted value: redacting the serialised text instead can eat the backslash of an
        escaped quote (`token=abc\\"` masks `abc\\`) and leave JSON that no longer parses."""
        default = dumps.pop("default", None)
        if default is not None:  # what the caller turns into JSON is redacted too
            dumps["default"] = lambda o: self.tree(default(o))
        return json.dumps(self.tree(value), **dumps)

    def url(self, url: str) -> str:
        """Mask sensitive query parameters of a URL, keeping its shape readable."""
        parts = urlsplit(url)
        if not parts.query:
            return self(url)
        query = [(k, MASK if k.lower() in _SENSITIVE_PARAMS else v) for k, v in parse_qsl(parts.query, True)]
        return self(urlunsplit(parts._replace(query=urlencode(query, safe="*"))))


def _is_credential(key: object, value: object) -> bool:
    return isinstance(key, str) and key.lower() in _SENSITIVE_KEYS and isinstance(value, str) and bool(value)


def _masked(key: str, value: str) -> str:
    """`Bearer ***` keeps the scheme readable, as the header regex does in text."""
    scheme, _, rest = value.partition(" ")
    if key.lower() == "authorization" and rest and scheme.lower() in ("bearer", "basic"):
        return f"{scheme} {MASK}"
    return MASK


REDACTOR = Redactor()
"""The process-wide redactor: the runner registers every secret and token it handles here."""


class RedactingFilter(logging.Filter):
    """Rewrites each log record's final message through the redactor before any handler sees it."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        record.msg = self.redactor(msg)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redactor(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_stderr(level: int) -> None:
    """The CLI's logging, redacted; `harness run`'s worker processes call it too, so their lines look the same."""
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    install_log_redaction()


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of `logger` (root by default), once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
