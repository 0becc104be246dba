"""Strict HTTP/1.1 request framing shared by the werkzeug handlers and the lean server.

One parser of the Content-Length / Transfer-Encoding rules (RFC 9112 section 6) and one bounded dechunker, so a
request body is never read past the endpoint's limit and malformed framing is a 400 that closes the connection:
- Content-Length must be digits only and given once; `+4`, `4, 4`, `-1`, two Content-Length headers are 400.
- Transfer-Encoding may only be `chunked`; anything else (`xchunked`, `gzip, chunked`) is 400, never ignored.
- Content-Length together with Transfer-Encoding is refused (400): the classic request-smuggling shape.
- Chunk-size lines are 1-16 hex digits and an optional extension; each chunk ends in CRLF; trailers are bounded.
The body is read before the app runs, at most `limit + 1` bytes: within the limit it is handed over whole (the
connection may carry another request); over it the app gets those bytes and says 413 itself, and the connection
closes without reading the rest.
"""

from __future__ import annotations

import errno
import io
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

DEFAULT_BODY_LIMIT = 16 * 1024 * 1024  # apps that declare no MAX_CONTENT_LENGTH
MAX_REQUEST_LINE = 8192
MAX_HEADER_BYTES = 64 * 1024  # the whole header block, request line excluded
MAX_HEADERS = 100
IDLE_TIMEOUT_S = 60.0  # a connection that sends nothing for this long is closed (as waitress' channel_timeout)
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})  # accept(): retry later
_MAX_CHUNK_LINE = 4096
_MAX_TRAILER_BYTES = 8192
_DIGITS = re.compile(rb"[0-9]{1,19}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_QUOTE_MAX = 64
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP token (RFC 9110 section 5.6.2)


class FramingError(Exception):
    """The request cannot be framed: answer `status` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def quote(value: str | bytes, limit: int = _QUOTE_MAX) -> str:
    """A bounded repr for error messages: input is never echoed whole."""
    text = repr(value[:limit])
    return text + f"... ({len(value)} long)" if len(value) > limit else text


@dataclass(frozen=True)
class Framing:
    """How the body is delimited: `length` bytes, or chunked (length None), or none (length 0)."""

    length: int | None
    chunked: bool


def parse_framing(headers: Iterable[tuple[str, str]]) -> Framing:
    """Content-Length and Transfer-Encoding from raw header pairs, strictly; FramingError(400) on anything odd."""
    lengths: list[str] = []
    codings: list[str] = []
    for name, value in headers:
        if not TOKEN.fullmatch(name):
            raise FramingError(400, f"malformed header name {quote(name)}")
        key = name.lower()
        if key == "content-length":
            lengths += [v.strip(" \t") for v in value.split(",")]
        elif key == "transfer-encoding":
            codings += [v.strip(" \t").lower() for v in value.split(",")]
    if codings:
        if lengths:
            raise FramingError(400, "both Content-Length and Transfer-Encoding given; send one of them")
        if codings != ["chunked"]:
            raise FramingError(400, f"Transfer-Encoding {quote(', '.join(codings))} is not supported; "
                                    "expected exactly 'chunked'")
        return Framing(None, True)
    if not lengths:
        return Framing(0, False)
    if len(lengths) != 1 or not _DIGITS.fullmatch(lengths[0].encode("latin-1", "replace")):
        raise FramingError(400, f"Content-Length {quote(', '.join(lengths))} is not one non-negative integer")
    return Framing(int(lengths[0]), False)


@dataclass
class Body:
    """A request body read ahead of the app: `stream` holds at most limit + 1 bytes."""

    stream: BinaryIO
    size: int
    complete: bool  # the whole body was read and is within the limit: the connection may be reused
    over_limit: bool


def read_body(rfile: Any, framing: Framing, limit: int) -> Body:
    """Read the body `framing` describes, never more than `limit` + 1 bytes; FramingError on bad framing.

    A declared length over the limit reads nothing (the app answers 413 from Content-Length).
    """
    if not framing.chunked:
        n = framing.length or 0
        if n > limit:
            return Body(io.BytesIO(), 0, False, True)
        data = _read_exact(rfile, n) if n else b""
        return Body(io.BytesIO(data), n, True, False)
    out = io.BytesIO()
    size = 0
    while True:
        chunk = _chunk_size(rfile)
        if chunk == 0:
            _trailers(rfile)
            out.seek(0)
            return Body(out, size, True, False)
        take = min(chunk, limit + 1 - size)
        while take > 0:
            piece = rfile.read(min(take, 1024 * 1024))
            if not piece:
                raise FramingError(400, "the chunked body ended inside a chunk")
            out.write(piece)
            size += len(piece)
            take -= len(piece)
        if size > limit:
            out.seek(0)
            return Body(out, size, False, True)
        if rfile.read(2) != b"\r\n":
            raise FramingError(400, "a chunk is not followed by CRLF")


def _read_exact(rfile: Any, n: int) -> bytes:
    data = rfile.read(n)
    if len(data) != n:
        raise FramingError(400, f"the body ended after {len(data)} of {n} bytes (Content-Length)")
    return data


def _chunk_size(rfile: Any) -> int:
    line = rfile.readline(_MAX_CHUNK_LINE + 1)
    if not line.endswith(b"\r\n"):
        what = "too long" if len(line) > _MAX_CHUNK_LINE else "not ended by CRLF" if line else "missing"
        raise FramingError(400, f"chunk-size line {what}")
    size, _, _ext = line[:-2].partition(b";")
    if not _HEX.fullmatch(size):
        raise FramingError(400, f"malformed chunk size {quote(size)}: expected 1 to 16 hex digits")
    return int(size, 16)


def _trailers(rfile: Any) -> None:
    total = 0
    while True:
        line = rfile.readline(_MAX_TRAILER_BYTES + 1)
        total += len(line)
        if line == b"\r\n":
            return
        if not line.endswith(b"\r\n") or total > _MAX_TRAILER_BYTES or b":" not in line:
            raise FramingError(400, "malformed or oversized chunked trailer")


def body_limit(app: Any) -> tuple[int, bool]:
    """The app's body limit and whether the app enforces it itself (a Flask MAX_CONTENT_LENGTH answers 413)."""
    getter = getattr(getattr(app, "config", None), "get", None)
    value = getter("MAX_CONTENT_LENGTH") if callable(getter) else None
    if isinstance(value, int) and value >= 0:
        return value, True
    return DEFAULT_BODY_LIMIT, False


def error_response(status: int, message: str) -> bytes:
    """A complete plain-text response that closes the connection."""
    reasons = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
               431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented"}
    body = (message + "\n").encode("utf-8", "replace")
    return (f"HTTP/1.1 {status} {reasons.get(status, 'Error')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1") + body


def linger_close(sock: socket.socket, *, max_bytes: int = 4 * 1024 * 1024, max_s: float = 1.0) -> None:
    """Half-close, then discard what the peer still sends (bounded), so it reads our answer instead of a reset.

    Closing a socket with unread input sends RST, which can destroy the response the client has not read yet;
    the bounds keep a client that never stops sending from holding the thread or memory.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return
    deadline = time.monotonic() + max_s
    left = max_bytes
    try:
        while left > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            sock.settimeout(remaining)
            data = sock.recv(min(65536, left))
            if not data:
                return
            left -= len(data)
    except OSError:
        return
