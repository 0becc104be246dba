"""The optional waitress server: keep-alive, a clean stop, and refusal of faults only werkzeug can produce."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from flask import Flask

from harness.cli import main
from harness.servers import ServerThread, WaitressServerThread, server_thread


def _app() -> Flask:
    app = Flask("t")

    @app.get("/n")
    def n() -> dict[str, int]:
        return {"n": 1}

    return app


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


def test_unknown_server_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown server 'gunicorn'; expected one of werkzeug, waitress"):
        server_thread(_app(), server="gunicorn")


@pytest.mark.parametrize(
    "fault",
    [{"kind": "connection_reset"}, {"kind": "timeout", "hang_s": 0.1, "then": "drop"}],
    ids=["connection-reset", "timeout-drop"],
)
def test_mock_ansira_refuses_waitress_with_socket_faults(tmp_path: Path, fault: dict,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    beh = tmp_path / "b.json"
    beh.write_text(json.dumps({"faults": [{"kind": "status", "status": 503, "first_n": 1}, fault]}))
    code = main(["mock", "ansira", "--server", "waitress", "--behaviour", str(beh)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--server waitress cannot drop connections" in err and f"faults[1] ({fault['kind']})" in err
