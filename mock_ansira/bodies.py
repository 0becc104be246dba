"""Request and response bodies for the journal: capped, decoded, and with credentials masked.

The journal shows what the system under test sent and got back (like WireMock's request journal), but a token
request carries a client secret and a token answer carries the token: those values never reach the journal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MASK = "***"
_SECRET_NAMES = ("access_token", "refresh_token", "client_secret", "id_token", "password", "api_key")
_SECRET_KEYS = "|".join(_SECRET_NAMES)
_JSON_SECRET = re.compile(rf'("(?:{_SECRET_KEYS})"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.IGNORECASE)
_FORM_SECRET = re.compile(rf"(?i)\b({_SECRET_KEYS})=([^&\s]*)")


def redact(text: str) -> str:
    low = text.lower()
    if not any(name in low for name in _SECRET_NAMES):  # most bodies (every user upsert) name no credential
        return text
    text = _JSON_SECRET.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return _FORM_SECRET.sub(lambda m: f"{m.group(1)}={MASK}", text)


def excerpt(data: bytes, cap: int) -> str:
    """Text of a body, masked, at most `cap` bytes of it (a note says how much was cut)."""
    text = redact(data[:cap].decode("utf-8", errors="replace"))
    if len(data) > cap:
        text += f" ...[{len(data) - cap} more bytes]"
    return text


class TeeInput:
    """Wraps `wsgi.input`: the app reads as usual, and the first `cap` bytes it read are kept for the journal.

    Reading through the app (not ahead of it) leaves every parser (form, JSON, raw stream) working unchanged.
    """

    def __init__(self, stream: Any, cap: int) -> None:
        self._stream = stream
        self._cap = cap
        self.seen = bytearray()
        self.total = 0

    def _keep(self, data: bytes) -> bytes:
        self.total += len(data)
        room = self._cap - len(self.seen)
        if room > 0:
            self.seen += data[:room]
        return data

    def read(self, *args: Any) -> bytes:
        return self._keep(self._stream.read(*args))

    def readline(self, *args: Any) -> bytes:
        return self._keep(self._stream.readline(*args))

    def readlines(self, *args: Any) -> list[bytes]:
        return [self._keep(line) for line in self._stream.readlines(*args)]

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            yield self._keep(chunk)

    def text(self) -> str:
        text = redact(bytes(self.seen).decode("utf-8", errors="replace"))
        return text + (f" ...[{self.total - len(self.seen)} more bytes]" if self.total > len(self.seen) else "")
