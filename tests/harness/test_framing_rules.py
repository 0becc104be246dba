"""harness/framing.py on its own: the Content-Length / Transfer-Encoding rules and the bounded dechunker."""

from __future__ import annotations

import io
import socket

import pytest

from harness.framing import Framing, FramingError, body_limit, parse_framing, quote, read_body


@pytest.mark.parametrize(("headers", "expected"), [
    ([], Framing(0, False)),
    ([("Content-Length", "0")], Framing(0, False)),
    ([("content-length", " 12 ")], Framing(12, False)),
    ([("Transfer-Encoding", "Chunked")], Framing(None, True)),
    ([("Host", "x"), ("Transfer-Encoding", " chunked")], Framing(None, True)),
])
def test_well_formed_framing(headers: list[tuple[str, str]], expected: Framing) -> None:
    assert parse_framing(headers) == expected


@pytest.mark.parametrize(("headers", "says"), [
    ([("Content-Length", "+4")], "not one non-negative integer"),
    ([("Content-Length", "4, 4")], "not one non-negative integer"),
    ([("Content-Length", "4"), ("Content-Length", "4")], "not one non-negative integer"),
    ([("Content-Length", "-1")], "not one non-negative integer"),
    ([("Content-Length", "0x10")], "not one non-negative integer"),
    ([("Content-Length", "1" * 30)], "not one non-negative integer"),
    ([("Content-Length", "٤")], "not one non-negative integer"),  # a digit to str.isdigit, not to HTTP
    ([("Transfer-Encoding", "xchunked")], "not supported"),
    ([("Transfer-Encoding", "gzip, chunked")], "not supported"),
    ([("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")], "not supported"),
    ([("Content-Length", "4"), ("Transfer-Encoding", "chunked")], "both Content-Length and Transfer-Encoding"),
    ([("Content-Length ", "4")], "malformed header name"),
])
def test_malformed_framing_is_a_400_that_says_what(headers: list[tuple[str, str]], says: str) -> None:
    with pytest.raises(FramingError, match=says) as err:
        parse_framing(headers)
    assert err.value.status == 400


def _read(raw: bytes, limit: int = 100) -> tuple[bytes, bool, bool, bytes]:
    rfile = io.BufferedReader(io.BytesIO(raw))  # type: ignore[arg-type]
    body = read_body(rfile, Framing(None, True), limit)
    return body.stream.read(), body.complete, body.over_limit, rfile.read()


def test_a_chunked_body_is_read_exactly_and_the_next_request_is_left_alone() -> None:
    data, complete, over, rest = _read(b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\nGET / HTTP/1.1\r\n")
    assert (data, complete, over, rest) == (b"abcde", True, False, b"GET / HTTP/1.1\r\n")


def test_a_chunked_body_over_the_limit_stops_at_limit_plus_one() -> None:
    data, complete, over, rest = _read(b"FFFFFFFFFFFF\r\n" + b"x" * 500, limit=100)
    assert (len(data), complete, over, len(rest)) == (101, False, True, 500 - 101)


@pytest.mark.parametrize(("raw", "says"), [
    (b"FFFFFFFFFFFFFFFFFFFF\r\nabc", "malformed chunk size"),
    (b"-1\r\n" + b"x" * 1000, "malformed chunk size"),
    (b"-5\r\nabc", "malformed chunk size"),
    (b" 3\r\nabc\r\n0\r\n\r\n", "malformed chunk size"),
    (b"3\nabc\r\n0\r\n\r\n", "not ended by CRLF"),
    (b"F" * 5000, "too long"),
    (b"", "missing"),
    (b"10\r\nabc", "ended inside a chunk"),
    (b"3\r\nabcX\r\n0\r\n\r\n", "not followed by CRLF"),
    (b"0\r\nno-colon\r\n\r\n", "trailer"),
    (b"0\r\n" + b"X: y\r\n" * 2000 + b"\r\n", "trailer"),
])
def test_malformed_chunked_bodies_are_a_400(raw: bytes, says: str) -> None:
    with pytest.raises(FramingError, match=says) as err:
        _read(raw)
    assert err.value.status == 400


def test_a_declared_length_over_the_limit_reads_nothing() -> None:
    rfile = io.BytesIO(b"x" * 50)
    body = read_body(rfile, Framing(200, False), 100)
    assert (body.over_limit, body.complete, rfile.tell()) == (True, False, 0)


def test_a_short_body_is_a_400() -> None:
    with pytest.raises(FramingError, match="ended after 3 of 10 bytes"):
        read_body(io.BytesIO(b"abc"), Framing(10, False), 100)


def test_the_limit_comes_from_the_app() -> None:
    class App:
        config = {"MAX_CONTENT_LENGTH": 1234}

    assert body_limit(App()) == (1234, True)
    assert body_limit(object())[1] is False


def test_quotes_are_bounded() -> None:
    assert quote("abc") == "'abc'"
    assert quote("g" * 50_000_000).endswith("... (50000000 long)") and len(quote("g" * 50_000_000)) < 100


@pytest.mark.parametrize("server", ["werkzeug", "werkzeug-keepalive", "waitress", "lean"])
def test_an_app_without_a_limit_gets_the_servers_413_before_any_body(server: str) -> None:
    """A plain app (no MAX_CONTENT_LENGTH) is never handed a body over the default limit: the server refuses it."""
    from flask import Flask, request

    from harness.framing import DEFAULT_BODY_LIMIT
    from harness.servers import server_thread

    app = Flask("plain")
    seen: list[int] = []

    @app.post("/echo")
    def echo() -> dict[str, int]:
        seen.append(len(request.get_data()))
        return {"n": seen[-1]}

    with server_thread(app, server=server) as srv, socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {2 * DEFAULT_BODY_LIMIT}\r\n\r\n".encode()
                  + b"x" * 1024)
        head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 413 ") and seen == []
