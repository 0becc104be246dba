"""Exposure: servers listen on loopback unless told otherwise, mock Lytics refuses every public route without its
API key, and both mocks' admin planes take their own key (the API key does not open them).
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import psutil
import pytest
from flask import Flask
from rel_helpers import Cluster

from harness.servers import ServerThread
from mock_ansira import create_app as ansira_app
from mock_lytics import create_app as lytics_app

API_KEY = "access-api-key-0123456789"
ADMIN_KEY = "access-admin-key-0123456789"
_ARG = re.compile(r"<(?:[a-z]+:)?([A-Za-z_]+)>")


def routes(app: Flask, prefix: str, *, admin: bool) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/__admin") != admin or not rule.rule.startswith(prefix):
            continue
        path = _ARG.sub(lambda mt: "user" if mt.group(1) == "table" else "x", rule.rule)
        out += [(method, path) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return sorted(out)


LYTICS = lytics_app({"API_KEY": API_KEY, "ADMIN_KEY": ADMIN_KEY})
ANSIRA = ansira_app({"ADMIN_KEY": ADMIN_KEY})
# the API's own description is open, as the real Lytics docs are: the OpenAPI document and its Swagger UI (/docs)
LYTICS_PUBLIC = [r for r in routes(LYTICS, "/", admin=False)
                 if r[1] != "/openapi.json" and not r[1].startswith("/docs")]
LYTICS_ADMIN = [r for r in routes(LYTICS, "/__admin", admin=True) if r[1] != "/__admin/health"]
ANSIRA_ADMIN = routes(ANSIRA, "/__admin", admin=True)


def test_the_route_tables_are_not_empty() -> None:
    assert len(LYTICS_PUBLIC) > 40 and len(LYTICS_ADMIN) > 8 and len(ANSIRA_ADMIN) > 8


@pytest.mark.parametrize(("method", "path"), LYTICS_PUBLIC, ids=[f"{m} {p}" for m, p in LYTICS_PUBLIC])
def test_mock_lytics_public_route_needs_the_api_key(method: str, path: str) -> None:
    c = LYTICS.test_client()
    for headers in ({}, {"Authorization": "wrong-key-0123456789"}, {"Authorization": f"Bearer {API_KEY}"},
                    {"X-Admin-Key": ADMIN_KEY}):
        resp = c.open(path, method=method, headers=headers, json={})
        assert resp.status_code == 401, (headers, resp.status_code)
        assert resp.get_json()["data"] is None
    assert c.open(path, method=method, headers={"Authorization": API_KEY}, json={}).status_code != 401


@pytest.mark.parametrize(("method", "path"), LYTICS_ADMIN, ids=[f"{m} {p}" for m, p in LYTICS_ADMIN])
def test_mock_lytics_admin_route_needs_the_admin_key(method: str, path: str) -> None:
    c = LYTICS.test_client()
    for headers in ({}, {"Authorization": API_KEY}, {"X-Admin-Key": API_KEY}):
        assert c.open(path, method=method, headers=headers, json={}).status_code == 401, headers
    assert c.open(path, method=method, headers={"X-Admin-Key": ADMIN_KEY}, json={}).status_code != 401


@pytest.mark.parametrize(("method", "path"), ANSIRA_ADMIN, ids=[f"{m} {p}" for m, p in ANSIRA_ADMIN])
def test_mock_ansira_admin_route_needs_the_admin_key(method: str, path: str) -> None:
    c = ANSIRA.test_client()
    for headers in ({}, {"X-Admin-Key": ADMIN_KEY + "x"}, {"Authorization": f"Bearer {ADMIN_KEY}"}):
        assert c.open(path, method=method, headers=headers, json={}).status_code == 401, headers
    assert c.open(path, method=method, headers={"X-Admin-Key": ADMIN_KEY}, json={}).status_code != 401


def test_server_thread_binds_loopback_by_default() -> None:
    with ServerThread(lytics_app()) as srv:
        assert srv._server.socket.getsockname()[0] == "127.0.0.1"
        assert srv.url.startswith("http://127.0.0.1:")


def test_cli_mocks_listen_on_loopback_only(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path)
    try:
        cluster.start_mocks({})
        for proc in cluster.procs:
            listening = [c.laddr for c in psutil.Process(proc.popen.pid).net_connections(kind="inet")
                         if c.status == psutil.CONN_LISTEN]
            assert listening and all(addr.ip == "127.0.0.1" for addr in listening), (proc.name, listening)
            assert oct(proc.ready.stat().st_mode & 0o777) == "0o600", "ready files hold credentials"
        for proc in cluster.procs:
            assert proc.stop(signal.SIGTERM) == 0
            assert cluster.api_key not in proc.log.read_text() and cluster.admin_key not in proc.log.read_text()
    finally:
        cluster.close()
