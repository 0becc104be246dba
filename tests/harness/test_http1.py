"""harness.http1, the runner's HTTP/1.1 exchange: how answers are framed and read, what a request may hold."""

from __future__ import annotations

import http.client
import io
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from harness.http import PoolSession
from harness.http1 import MAX_HEADERS, ProtocolError, encode_request, read_answer


def _read(raw: bytes, method: str = "POST") -> tuple[int, dict[str, str | None], bytes, bool, bytes]:
    rfile = io.BufferedReader(io.BytesIO(raw))
    a = read_answer(rfile, method)
    return a.status, {"ct": a.headers.get("content-type"), "x": a.headers.get("X-A")}, a.content, a.will_close, \
        rfile.read()


@pytest.mark.parametrize(("raw", "method", "status", "body", "will_close", "rest"), [
    (b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nokGET", "POST", 201, b"ok", False, b"GET"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1;x=y\r\nc\r\n0\r\nT: 1\r\n\r\nNEXT",
     "POST", 200, b"abc", False, b"NEXT"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", "GET", 200, b"until the end", True, b""),
    (b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", "GET", 200, b"", True, b""),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nz", "GET", 200, b"z", True, b""),
    (b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nz", "GET", 200, b"z", False, b""),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nX",
     "POST", 204, b"", False, b"X"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nX", "HEAD", 200, b"", False, b"X"),
    (b"HTTP/1.1 304 Not Modified\r\n\r\n", "GET", 304, b"", False, b""),
    (b"HTTP/1.1 429\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n", "POST", 429, b"", False, b""),
], ids=["length", "chunked+trailer", "until-close", "connection-close", "http1.0", "http1.0-keepalive",
        "interim-skipped", "head", "not-modified", "no-reason"])
def test_answers_are_framed_as_rfc_9112_says(raw: bytes, method: str, status: int, body: bytes, will_close: bool,
                                            rest: bytes) -> None:
    got_status, _, content, closes, left = _read(raw, method)
    assert (got_status, content, closes, left) == (status, body, will_close, rest)


@pytest.mark.parametrize(("raw", "why"), [
    (b"HTTP/2 200 OK\r\n\r\n", "malformed status line"),
    (b"HTTP/1.1 2000 OK\r\n\r\n", "malformed status line"),
    (b"ICY 200 OK\r\n\r\n", "malformed status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "framing"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", "ended after 2 of 4"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "framing"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
    (b"HTTP/1.1 200 OK\r\nContent-Len", "closed inside the answer's headers"),
    (b"HTTP/1.1 200 OK\r\n" + b"A: b\r\n" * (MAX_HEADERS + 1) + b"\r\n", "more than 100 header fields"),
])
def test_answers_that_are_not_http_are_refused_with_the_reason(raw: bytes, why: str) -> None:
    with pytest.raises(ProtocolError, match=why):
        _read(raw)


def test_a_server_that_closes_before_answering_is_remote_disconnected() -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        _read(b"")


def test_headers_read_like_http_client() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=\"Latin-1\"\r\nX-A: 1\r\nx-a: 2\r\n  folded\r\n" \
          b"Content-Length: 0\r\n\r\n"
    a = read_answer(io.BufferedReader(io.BytesIO(raw)), "GET")
    h = a.headers
    assert h["x-a"] == "1" and h.get("X-A") == "1" and h.get("missing", "d") == "d" and "CONTENT-TYPE" in h
    assert h.get_all("X-A") == ["1", "2 folded"] and h.get_content_charset() == "latin-1"
    assert h.items()[0] == ("Content-Type", 'text/plain; charset="Latin-1"') and len(h) == 4


def test_a_request_carries_http_clients_defaults_unless_given() -> None:
    raw = encode_request("POST", "/u?a=1", "h:81", [("X-Id", "7")], b"{}")
    assert raw == (b"POST /u?a=1 HTTP/1.1\r\nHost: h:81\r\nAccept-Encoding: identity\r\nX-Id: 7\r\n"
                   b"Content-Length: 2\r\n\r\n{}")
    assert b"Content-Length: 0\r\n" in encode_request("POST", "/", "h", [], None)
    assert b"Content-Length" not in encode_request("GET", "/", "h", [], None)
    given = encode_request("GET", "/", "h", [("host", "other"), ("Accept-Encoding", "gzip")], None)
    assert b"Host: h" not in given and b"host: other" in given and b"identity" not in given


@pytest.mark.parametrize(("method", "target", "headers", "error"), [
    ("POST", "/", [("X-A", "v\r\nX-Injected: 1")], ValueError),
    ("POST", "/", [("X-A", "v\nX-Injected: 1")], ValueError),
    ("POST", "/", [("X-A", "nul\x00")], ValueError),
    ("POST", "/", [("Bad Name", "v")], ValueError),
    ("POST", "/", [("X:A", "v")], ValueError),
    ("GET / HTTP/1.1\r\nX", "/", [], ValueError),
    ("POST", "/a b", [], http.client.InvalidURL),
    ("POST", "/a\r\nX-Injected: 1", [], http.client.InvalidURL),
])
def test_nothing_can_split_a_request(method: str, target: str, headers: list[tuple[str, str]],
                                     error: type[Exception]) -> None:
    with pytest.raises(error):
        encode_request(method, target, "h", headers, None)


# -- over loopback: the framings a real server may choose, through PoolSession ------------------------------
ANSWERS = {
    b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"/close": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nread to the end",
    b"/junk": b"NOT HTTP AT ALL\r\n\r\n",
}


@pytest.fixture
def raw_server() -> Iterator[tuple[str, list[int]]]:
    """A socket server answering canned bytes by path; it counts connections, closes after /close and /junk."""
    srv = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            accepted.append(1)
            with conn, conn.makefile("rb") as rfile:
                while True:
                    line = rfile.readline()
                    if not line:
                        break
                    while rfile.readline() not in (b"\r\n", b""):
                        pass
                    path = line.split(b" ")[1]
                    conn.sendall(ANSWERS[path])
                    if path != b"/chunked":
                        break

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}", accepted
    srv.close()


def test_chunked_answers_keep_the_connection_and_close_delimited_ones_do_not(
        raw_server: tuple[str, list[int]]) -> None:
    url, accepted = raw_server
    with PoolSession(url) as s:
        assert [s.get("/chunked").text for _ in range(3)] == ["hello"] * 3
        assert len(accepted) == 1  # one kept-alive connection carried all three
        assert s.get("/close").text == "read to the end" and len(s._all) == 0  # forgotten: the server closed it
        assert s.get("/chunked").text == "hello" and len(accepted) == 2


def test_an_answer_that_is_not_http_is_a_connection_error(raw_server: tuple[str, list[int]]) -> None:
    url, _ = raw_server
    with PoolSession(url) as s, pytest.raises(requests.ConnectionError, match="malformed status line"):
        s.get("/junk")


def test_a_header_that_would_split_the_request_is_refused_before_anything_is_sent(
        raw_server: tuple[str, list[int]]) -> None:
    url, accepted = raw_server
    gate: list[bool] = []

    def admit() -> bool:
        gate.append(True)
        return True

    with PoolSession(url) as s, pytest.raises(requests.exceptions.InvalidHeader):
        s.post("/chunked", headers={"X-A": "v\r\nX-Injected: 1"}, before_send=admit)
    assert gate == [] and accepted == []  # the rate gate was not asked, no connection was opened
