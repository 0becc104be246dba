"""The runner's HTTP/1.1 exchange on a kept-alive socket: one write per request, one buffered reader per connection.

Why not http.client's `request`/`getresponse`: a backfill spent most of the runner's Python time in them
(docs/performance.md, "The runner's HTTP exchange"): a regex check per `putheader`, a fresh `makefile` and a
whole `email.parser` run per response, header lookups through `email.message`. Connecting (and TLS) stays
http.client's. Requests are checked as strictly as http.client checks them (no CR/LF/NUL in a header, a token for
a header name and the method, no control character or space in the target), so a template cannot inject a header.
Response bodies are framed by `harness.framing`, the same strict Content-Length / chunked reader the servers use;
an answer framed neither way is read until the server closes (RFC 9112 section 6.3).
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from harness.framing import TOKEN, FramingError, parse_framing, quote, read_body

MAX_LINE = 65536  # status line and each header line, as http.client's _MAXLINE
MAX_HEADERS = 100
MAX_BODY = 64 * 1024 * 1024  # an answer bigger than this is refused, not buffered
_BAD_VALUE = re.compile(r"[\r\n\x00]")
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


class ProtocolError(Exception):
    """The server's answer could not be read as HTTP/1.1 (the connection is not reusable)."""


class Headers:
    """A response's header fields, read like http.client's HTTPMessage: case-insensitive `get` and `[]` (the first
    value of a repeated field), `items()` with every field in order, `get_content_charset()`."""

    __slots__ = ("_first", "_pairs")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for name, value in pairs:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._first.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._first[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def keys(self) -> list[str]:
        return [name for name, _ in self._pairs]

    def get_all(self, name: str) -> list[str]:
        key = name.lower()
        return [v for k, v in self._pairs if k.lower() == key]

    def get_content_charset(self, default: str | None = None) -> str | None:
        for param in (self.get("Content-Type") or "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return default

    def __repr__(self) -> str:
        return f"Headers({self._pairs!r})"


class Answer:
    __slots__ = ("content", "headers", "status", "will_close")

    def __init__(self, status: int, headers: Headers, content: bytes, will_close: bool) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        self.will_close = will_close


class Link:
    """One kept-alive connection: http.client's for connecting (and TLS), a buffered reader kept for its life."""

    __slots__ = ("__weakref__", "conn", "rfile", "sock", "timeout")

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        if conn.sock is None:
            raise ProtocolError("connection has no socket")
        self.conn = conn
        self.sock = conn.sock
        self.rfile: BinaryIO = self.sock.makefile("rb")
        self.timeout: float | None = None

    def close(self) -> None:
        """The reader first: a socket with a file still open on it is not really closed."""
        self.rfile.close()
        self.conn.close()

    def exchange(self, request: bytes, method: str, timeout: float) -> Answer:
        """Write one encoded request and read its whole answer, `timeout` seconds at most per socket wait."""
        if timeout != self.timeout:
            self.sock.settimeout(timeout)
            self.timeout = timeout
        self.sock.sendall(request)
        return read_answer(self.rfile, method)


def encode_request(method: str, target: str, host: str, headers: Iterable[tuple[str, str]],
                   body: bytes | None) -> bytes:
    """The request's bytes, with http.client's defaults (Host, Accept-Encoding: identity, Content-Length) unless
    the caller gave them; ValueError on anything that could split the request."""
    if not TOKEN.fullmatch(method):
        raise ValueError(f"invalid HTTP method {quote(method)}")
    if _BAD_TARGET.search(target):
        raise http.client.InvalidURL(f"URL can't contain control characters or spaces: {quote(target)}")
    given: set[str] = set()
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in headers:
        if not TOKEN.fullmatch(name):
            raise ValueError(f"invalid header name {quote(name)}")
        value = str(value)
        if _BAD_VALUE.search(value):
            raise ValueError(f"invalid value for header {name}: it contains CR, LF or NUL")
        given.add(name.lower())
        lines.append(f"{name}: {value}")
    extra = []
    if "host" not in given:
        extra.append(f"Host: {host}")
    if "accept-encoding" not in given:
        extra.append("Accept-Encoding: identity")
    if "content-length" not in given and "transfer-encoding" not in given:
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        elif method not in _NO_BODY_METHODS:
            lines.append("Content-Length: 0")
    head = "\r\n".join([lines[0], *extra, *lines[1:], "", ""]).encode("latin-1")
    return head + body if body else head


def read_answer(rfile: BinaryIO, method: str) -> Answer:
    """Read one whole answer (1xx interim answers skipped); ProtocolError when it is not HTTP/1.1 as framed."""
    while True:
        version, status = _status_line(rfile)
        pairs = _header_lines(rfile)
        if not (100 <= status < 200) or status == 101:
            break
    headers = Headers(pairs)
    tokens = {t.strip().lower() for v in headers.get_all("Connection") for t in v.split(",")}
    will_close = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
    if method == "HEAD" or status in (101, 204, 304):
        return Answer(status, headers, b"", will_close or status == 101)
    try:
        framing = parse_framing(pairs)
    except FramingError as exc:
        raise ProtocolError(f"answer framing: {exc}") from None
    if not framing.chunked and "content-length" not in headers:  # delimited by the server closing
        content = rfile.read(MAX_BODY + 1)
        if len(content) > MAX_BODY:
            raise ProtocolError(f"answer body over {MAX_BODY} bytes")
        return Answer(status, headers, content, True)
    try:
        body = read_body(rfile, framing, MAX_BODY)
    except FramingError as exc:
        raise ProtocolError(f"answer body: {exc}") from None
    if body.over_limit:
        raise ProtocolError(f"answer body over {MAX_BODY} bytes")
    return Answer(status, headers, body.stream.read(), will_close)


def _status_line(rfile: BinaryIO) -> tuple[str, int]:
    line = rfile.readline(MAX_LINE + 1)
    if not line:
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    if len(line) > MAX_LINE:
        raise ProtocolError("status line too long")
    version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    code = rest[:3]
    if version not in ("HTTP/1.1", "HTTP/1.0") or not code.isdigit() or len(code) != 3 or rest[3:4] not in ("", " "):
        raise ProtocolError(f"malformed status line {quote(line)}")
    return version, int(code)


def _header_lines(rfile: BinaryIO) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError("header line too long")
        if line in (b"\r\n", b"\n"):
            return pairs
        if not line.endswith(b"\n"):
            raise ProtocolError("the connection closed inside the answer's headers")
        if len(pairs) >= MAX_HEADERS:
            raise ProtocolError(f"more than {MAX_HEADERS} header fields")
        text = line.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and pairs:  # obsolete line folding: part of the previous value
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {text.strip()}")
            continue
        name, sep, value = text.partition(":")
        if not sep or not TOKEN.fullmatch(name):
            raise ProtocolError(f"malformed header line {quote(line)}")
        pairs.append((name, value.strip(" \t")))
