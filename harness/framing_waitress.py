"""waitress with the framing rules of harness/framing.py: what its own limits leave open, closed.

waitress already refuses `+4` and `-1`, reads chunked bodies into a file past 512 KB, and stops a body at
`max_request_body_size` (413). Left open, measured: Content-Length together with Transfer-Encoding is served (the
chunked body wins) on a connection kept alive; a chunk-size line of any length is accepted (20 hex digits, or a
line that never ends, held in memory until the body limit); Transfer-Encoding in an HTTP/1.0 request is ignored
(its chunks read as the next request); headers are bounded by size only, not count. This
channel's parser refuses those as harness/framing.py does; the limits themselves are waitress settings
(`waitress_limits`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.receiver import ChunkedReceiver
from waitress.utilities import BadRequest, RequestHeaderFieldsTooLarge

from harness.framing import (
    IDLE_TIMEOUT_S,
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    RESOURCE_ERRNOS,
    FramingError,
    body_limit,
    parse_framing,
)

log = logging.getLogger("harness.servers")

_MAX_CHUNK_LINE = 4096
_MAX_TRAILER = 8192
_MAX_CHUNK = 0xFFFF_FFFF_FFFF_FFFF  # 16 hex digits, as harness/framing.py
_SLACK = 64 * 1024  # waitress counts chunk framing against max_request_body_size; the app decides at its limit


def waitress_limits(app: Any, idle_timeout: float = IDLE_TIMEOUT_S) -> dict[str, int]:
    """create_server settings that bound one request: body (the app's limit), header block, idle time."""
    limit, _enforced = body_limit(app)
    idle = max(1, round(idle_timeout))  # waitress looks for idle channels every cleanup_interval seconds
    return {"max_request_body_size": limit + _SLACK, "max_request_header_size": MAX_HEADER_BYTES,
            "channel_timeout": idle, "cleanup_interval": max(1, min(30, idle // 2))}


class _StrictChunkedReceiver(ChunkedReceiver):
    error: Any  # waitress is untyped: say what its attributes hold

    def received(self, s: bytes) -> int:
        consumed: int = super().received(s)
        if self.error is None:
            if len(self.control_line) > _MAX_CHUNK_LINE or len(self.trailer) > _MAX_TRAILER:
                self.error = BadRequest("chunk-size line or trailer too long")
            elif self.chunk_remainder > _MAX_CHUNK:
                self.error = BadRequest("malformed chunk size: expected 1 to 16 hex digits")
            if self.error is not None:
                self.all_chunks_received = True
        return consumed


class RequestTimeout(BadRequest):
    code = 408
    reason = "Request Timeout"


class _StrictParser(HTTPRequestParser):
    body_rcv: Any
    error: Any
    completed: bool

    def __init__(self, adj: Any) -> None:
        super().__init__(adj)
        # made when a request's first bytes arrive: all of it has one idle timeout (waitress' channel_timeout) to
        # follow, as on the blocking servers (harness/deadlines.py); a slow drip keeps a channel "active" forever
        self._window = float(adj.channel_timeout)
        self._deadline = time.monotonic() + self._window

    def received(self, data: bytes) -> int:
        if not self.completed and time.monotonic() > self._deadline:
            log.info("refused a request that did not arrive within %gs (a slow sender)", self._window)
            self.error = RequestTimeout(f"the request did not arrive within {self._window:g}s")
            self.completed = True
            return len(data)
        consumed: int = super().received(data)
        return consumed

    def parse_header(self, header_plus: bytes) -> None:
        lines = header_plus.split(b"\r\n")[1:]
        if len(lines) > MAX_HEADERS:
            super().parse_header(b"GET / HTTP/1.0\r\n")  # what waitress itself does before a 431
            self.error = RequestHeaderFieldsTooLarge(f"more than {MAX_HEADERS} request headers")
            return
        pairs = [line.decode("latin-1").split(":", 1) for line in lines if b":" in line]
        try:
            framing = parse_framing((name, value.strip(" \t")) for name, value in pairs)
        except FramingError as exc:
            raise ParsingError(str(exc)) from None
        if framing.chunked and not header_plus.split(b"\r\n", 1)[0].rstrip().endswith(b"HTTP/1.1"):
            # waitress reads Transfer-Encoding only in HTTP/1.1: the chunks would be read as the next request
            raise ParsingError("Transfer-Encoding needs HTTP/1.1")
        super().parse_header(header_plus)
        if self.chunked:
            self.body_rcv = _StrictChunkedReceiver(self.body_rcv.buf)


class StrictChannel(HTTPChannel):
    """waitress' channel with the strict parser: set as the server's `channel_class`."""

    parser_class = _StrictParser


def guard_accept(server: Any) -> None:
    """Out of descriptors (EMFILE), waitress logs a traceback for every failed accept() and spins on a listening
    socket that stays readable. Instead: one WARNING per episode, a short pause per retry, and a line when
    accepting works again. Otherwise what waitress' own handle_accept does."""
    starved = False

    def handle_accept() -> None:
        nonlocal starved
        try:
            pair = server.accept()
        except OSError as exc:
            if exc.errno not in RESOURCE_ERRNOS:
                log.info("accept failed (%s); continuing", exc)
                return
            if not starved:
                log.warning("cannot accept connections: %s; retrying until resources free up", exc)
                starved = True
            time.sleep(0.02)  # in the loop thread: lets open channels finish instead of spinning
            return
        if starved:
            log.warning("accepting connections again")
            starved = False
        if pair is None:
            return
        conn, addr = pair
        try:
            server.set_socket_options(conn)
        except OSError:
            conn.close()  # the peer is already gone
            return
        server.channel_class(server, conn, server.fix_addr(addr), server.adj, map=server._map)

    server.handle_accept = handle_accept
