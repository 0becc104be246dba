"""Limits over real loopback HTTP: oversized bodies are refused (413) without being read whole, whether the size
is declared (Content-Length) or not (chunked); one event over 1 MB is refused naming it; and a scenario whose
jsonnet loops is stopped by a time bound.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.servers import ServerThread
from mock_ansira import create_app as ansira_app
from mock_lytics import create_app as lytics_app

ROOT = Path(__file__).resolve().parents[2]
KEY = "limits-api-key-0123456789"
MB = 1024 * 1024
COLLECT_LIMIT, ANSIRA_LIMIT = 10 * MB, MB


@pytest.fixture(scope="module")
def lytics() -> Iterator[ServerThread]:
    srv = ServerThread(lytics_app({"API_KEY": KEY})).start(ready_path="/__admin/health")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def ansira() -> Iterator[tuple[ServerThread, str]]:
    app = ansira_app({"BEHAVIOUR": {"clients": [{"client_id": "c", "client_secret": "limits-secret-0123"}]}})
    srv = ServerThread(app).start(ready_path="/__admin/health")
    token = requests.post(srv.url + "/service/oauth/v2/token", data={"grant_type": "client_credentials"},
                          auth=("c", "limits-secret-0123"), timeout=5).json()["access_token"]
    yield srv, token
    srv.stop()


def head(path: str, port: int, extra: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: {KEY}\r\n{extra}\r\n").encode()


def read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def declared_too_big(port: int, path: str, declared: int) -> tuple[int, int]:
    """Declare `declared` bytes, send 64 KiB of them, and wait for the answer: it must come without the rest."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head(path, port, f"Content-Length: {declared}\r\n"))
        sock.sendall(b"[" + b" " * (64 * 1024))
        return read_status(sock), 64 * 1024


def chunked_forever(port: int, path: str, cap: int) -> tuple[int, int]:
    """Stream chunks with no declared length until the server answers (or `cap` bytes, a safety stop)."""
    sent = 0
    answered = threading.Event()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    chunk = b"[" + b" " * (256 * 1024 - 1)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"

    def pump() -> None:
        nonlocal sent
        try:
            while not answered.is_set() and sent < cap:
                sock.sendall(frame)
                sent += len(chunk)
            if sent >= cap:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: exactly what should happen

    sock.sendall(head(path, port, "Transfer-Encoding: chunked\r\n"))
    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    try:
        status = read_status(sock)
    finally:
        answered.set()
        sender.join(30)
        sock.close()
    return status, sent


def test_collect_over_10_mb_declared_is_refused_before_the_body(lytics: ServerThread) -> None:
    status, sent = declared_too_big(lytics.port, "/collect/json/web", 11 * MB)
    assert status == 413 and sent < COLLECT_LIMIT


def test_collect_over_10_mb_chunked_is_refused_after_reading_the_limit(lytics: ServerThread) -> None:
    status, sent = chunked_forever(lytics.port, "/collect/json/web", cap=100 * MB)
    assert status == 413
    assert sent < 40 * MB, f"sent {sent / MB:.0f} MB before the 413: the server kept reading"


def test_one_event_over_1_mb_is_refused_naming_it(lytics: ServerThread) -> None:
    body = json.dumps([{"email": "ok@x.com"}, {"email": "big@x.com", "blob": "x" * MB}])
    resp = requests.post(lytics.url + "/collect/json/web", data=body, timeout=30,
                         headers={"Authorization": KEY, "Content-Type": "application/json"})
    assert resp.status_code == 413 and "event at index 1" in resp.json()["message"]


def test_ansira_user_body_over_1_mb_declared_is_refused_before_the_body(ansira: tuple[ServerThread, str]) -> None:
    srv, token = ansira
    status, sent = declared_too_big(srv.port, f"/service/api/v2/user?access_token={token}", 2 * MB)
    assert status == 413 and sent < ANSIRA_LIMIT


def test_ansira_user_body_over_1_mb_chunked_is_refused(ansira: tuple[ServerThread, str]) -> None:
    srv, token = ansira
    status, sent = chunked_forever(srv.port, f"/service/api/v2/user?access_token={token}", cap=100 * MB)
    assert status == 413
    assert sent < 30 * MB, f"sent {sent / MB:.0f} MB before the 413: the server kept reading"


LOOP = ("local s = std.foldl(function(a, i) std.foldl(function(b, j) b + j, std.range(1, 20000), a), "
        "std.range(1, 20000), 0);\n{ name: 'loop', seed: s }\n")  # 4e8 steps: many minutes unbounded


def test_a_looping_scenario_is_stopped_by_the_render_bound(tmp_path: Path) -> None:
    """In a child process, so the abandoned Go evaluation dies with it instead of burning a core here."""
    root = tmp_path / "scenarios"
    root.mkdir()
    (root / "loop.jsonnet").write_text(LOOP)
    code = ("import sys\nfrom harness.errors import ScenarioError\nfrom harness.scenario import loader\n"
            "try:\n    loader.render(sys.argv[1], timeout_s=0.5)\nexcept ScenarioError as exc:\n"
            "    print(exc)\n    sys.exit(3)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(root / "loop.jsonnet")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "rendering did not finish within 0.5s" in proc.stdout and "loop.jsonnet" in proc.stdout


def test_deep_recursion_in_a_scenario_is_stopped_by_max_stack(tmp_path: Path) -> None:
    from harness.errors import ScenarioError
    from harness.scenario import loader

    root = tmp_path / "scenarios"
    root.mkdir()
    (root / "deep.jsonnet").write_text("local f(n) = if n == 0 then 0 else 1 + f(n - 1);\n"
                                       "{ name: 'x', seed: f(100000) }")
    with pytest.raises(ScenarioError, match="max stack frames exceeded"):
        loader.render(root / "deep.jsonnet")
