"""The optional waitress server: keep-alive, a clean stop, and refusal of faults only werkzeug can produce."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, request

from harness.servers import ServerThread, WaitressServerThread, server_thread
from mock_ansira import create_app as ansira_app


def _app() -> Flask:
    app = Flask("t")

    @app.get("/n")
    def n() -> dict[str, int]:
        return {"n": 1}

    @app.post("/echo")
    def echo() -> dict[str, int]:
        return {"n": len(request.get_data())}

    @app.post("/ignore")
    def ignore() -> dict[str, bool]:  # never reads its body: the next request must still parse
        return {"ignored": True}

    return app


@pytest.mark.parametrize("server", ["werkzeug-keepalive", "waitress", "lean"])
def test_keep_alive_servers_reuse_one_connection_across_bodies_the_app_ignores(server: str) -> None:
    with server_thread(_app(), server=server) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        seen = []
        for path, body in (("/echo", b"x" * 70_000), ("/ignore", b"y" * 5000), ("/missing", b"z"), ("/echo", b"ab"),
                           ("/n", None)):
            conn.request("POST" if body is not None else "GET", path, body=body)
            resp = conn.getresponse()
            seen.append((resp.status, resp.read(), resp.getheader("Connection")))
            sock = conn.sock
            assert sock is not None
        assert [s for s, _, _ in seen] == [200, 200, 404, 200, 200]
        assert json.loads(seen[0][1]) == {"n": 70_000} and json.loads(seen[3][1]) == {"n": 2}
        assert all(c != "close" for _, _, c in seen)
        assert conn.sock is sock
        conn.close()


@pytest.mark.parametrize("server", ["werkzeug-keepalive", "lean"])
def test_keepalive_closes_when_the_client_asks_and_reads_chunked_bodies(server: str) -> None:
    with server_thread(_app(), server=server) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("GET", "/n", headers={"Connection": "close"})
        resp = conn.getresponse()
        assert resp.getheader("Connection") == "close" and resp.read() == b'{"n":1}\n'
        conn.close()
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("POST", "/echo", body=iter([b"abc", b"de"]), encode_chunked=True)
        resp = conn.getresponse()
        assert json.loads(resp.read()) == {"n": 5}
        conn.close()


@pytest.mark.parametrize("server", ["werkzeug-keepalive", "lean"])
def test_keepalive_servers_still_drop_connections_for_mock_ansira_faults(server: str) -> None:
    client = {"client_id": "c", "client_secret": "s" * 24}
    beh = {"clients": [client], "source_codes": ["S"], "faults": [{"kind": "connection_reset", "first_n": 1,
                                                                    "operation": "create_user"}]}
    with server_thread(ansira_app({"BEHAVIOUR": beh}), server=server) as srv, requests.Session() as s:
        token = s.post(srv.url + "/service/oauth/v2/token", data={"grant_type": "client_credentials"},
                       auth=(client["client_id"], client["client_secret"]), timeout=5).json()["access_token"]
        body = {"email": "a@b.com", "sourceCode": {"keyName": "S"}}
        with pytest.raises(requests.ConnectionError):
            s.post(srv.url + "/service/api/v2/user", params={"access_token": token}, json=body, timeout=5)
        ok = s.post(srv.url + "/service/api/v2/user", params={"access_token": token}, json=body, timeout=5)
        assert ok.status_code == 201 and ok.headers.get("Connection") != "close"


def test_waitress_keeps_the_connection_alive() -> None:
    with server_thread(_app(), server="waitress") as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("GET", "/n")
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read()) == {"n": 1}
        sock = conn.sock
        conn.request("GET", "/n")
        second = conn.getresponse()
        second.read()
        assert second.status == 200 and second.getheader("Connection") != "close"
        assert conn.sock is sock  # the same socket served both requests
        conn.close()


def test_werkzeug_closes_every_connection() -> None:
    """The measured reason for the waitress option: werkzeug's dev server answers `Connection: close`."""
    with ServerThread(_app()) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("GET", "/n")
        resp = conn.getresponse()
        resp.read()
        assert resp.getheader("Connection") == "close"
        conn.close()


def test_waitress_stop_frees_the_port() -> None:
    srv = WaitressServerThread(_app()).start(ready_path="/n")
    srv.stop()
    with pytest.raises(OSError):
        http.client.HTTPConnection(srv.host, srv.port, timeout=2).request("GET", "/n")


def test_waitress_stops_even_when_its_wake_up_pipe_is_gone() -> None:
    """Stopping pulls waitress' trigger (a pipe the loop polls); if that pipe was closed under it, stop() must
    still end the loop and free the port instead of raising EBADF (seen once in CI)."""
    srv = WaitressServerThread(_app()).start(ready_path="/n")
    os.close(srv._server.trigger.trigger)  # the write end: the loop sees a hang-up and closes the trigger
    srv.stop()
    assert not srv._thread.is_alive()
    with pytest.raises(OSError):
        http.client.HTTPConnection(srv.host, srv.port, timeout=2).request("GET", "/n")


def test_unknown_server_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown server 'gunicorn'; expected one of werkzeug, werkzeug-keepalive"):
        server_thread(_app(), server="gunicorn")


@pytest.mark.parametrize(
    "fault",
    [{"kind": "connection_reset"}, {"kind": "timeout", "hang_s": 0.1, "then": "drop"}],
    ids=["connection-reset", "timeout-drop"],
)
def test_mock_ansira_refuses_waitress_with_socket_faults(tmp_path: Path, fault: dict) -> None:
    beh = tmp_path / "b.json"
    beh.write_text(json.dumps({"faults": [{"kind": "status", "status": 503, "first_n": 1}, fault]}))
    proc = subprocess.run([sys.executable, "-m", "harness", "mock", "ansira", "--server", "waitress", "--behaviour",
                           str(beh)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--server waitress cannot drop connections" in proc.stderr and f"faults[1] ({fault['kind']})" in proc.stderr


def _raw(srv: Any, data: bytes) -> bytes:
    with socket.create_connection((srv.host, srv.port), timeout=5) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"NONSENSE\r\n\r\n", b"400"), (b"GET /n HTTP/1.1\r\nbad header\r\n\r\n", b"400"),
     (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", b"414"),
     (b"POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n", b"400")],
    ids=["request-line", "header-line", "long-target", "bad-length"],
)
def test_lean_refuses_malformed_requests_and_closes(data: bytes, status: bytes) -> None:
    with server_thread(_app(), server="lean") as srv:
        reply = _raw(srv, data)
        assert reply.startswith(b"HTTP/1.1 " + status) and b"Connection: close" in reply


def test_lean_answers_500_when_the_app_raises_and_stop_ends_open_connections() -> None:
    app = _app()

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("token=abc must not leak")

    app.config["PROPAGATE_EXCEPTIONS"] = True
    srv = server_thread(app, server="lean").start(ready_path="/n")
    reply = _raw(srv, b"GET /boom HTTP/1.1\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 500") and b"token=abc" not in reply
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    conn.request("GET", "/n")
    conn.getresponse().read()
    srv.stop()  # the idle keep-alive connection is closed too, not left to its thread
    with pytest.raises((http.client.HTTPException, OSError)):
        conn.request("GET", "/n")
        conn.getresponse()


def test_waitress_busy_threads_are_reported_at_info_not_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Every worker thread busy is capacity news, not a failure: it must not print a WARNING line (make flake)."""
    import logging

    srv = WaitressServerThread(Flask("q"), threads=1)
    try:
        with caplog.at_level(logging.INFO, logger="waitress.queue"):
            logging.getLogger("waitress.queue").warning("Task queue depth is %d", 1)
            logging.getLogger("waitress.queue").error("a real error stays an error")
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            ("INFO", "Task queue depth is 1"), ("ERROR", "a real error stays an error")]
    finally:
        srv._server.close()
