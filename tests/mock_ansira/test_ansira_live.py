"""Over real loopback HTTP (harness.servers.ServerThread): what only a socket can show."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from ansira_helpers import CLIENT_ID, SECRET, SOURCE, TOKEN_PATH, USER_PATH, base_behaviour
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from harness.servers import ServerThread
from mock_ansira import create_app
from mock_ansira.app import get_backend
from mock_ansira.contract import MAX_BODY_BYTES


@pytest.fixture(scope="module")
def _server() -> Iterator[ServerThread]:
    srv = ServerThread(create_app({"BEHAVIOUR": base_behaviour()}), name="ansira-test")
    srv.start(ready_path="/__admin/health")
    yield srv
    get_backend(srv.app).close()  # release requests still hanging in a simulated timeout
    srv.stop()


@pytest.fixture
def serve(_server: ServerThread) -> Any:
    """One server per module (stopping one costs 0.5 s); each test resets it and loads its behaviour."""

    def start(behaviour: dict[str, Any] | None = None) -> ServerThread:
        requests.post(_server.url + "/__admin/reset", timeout=5).raise_for_status()
        put = requests.put(_server.url + "/__admin/behaviour", json=behaviour or base_behaviour(), timeout=5)
        put.raise_for_status()
        return _server

    return start


def fetch_token(url: str) -> str:
    resp = requests.post(url + TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET),
                         timeout=5)
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def test_stock_oauth_client_gets_a_token_and_enriches(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    srv = serve()
    session = OAuth2Session(client=BackendApplicationClient(client_id=CLIENT_ID))
    token = session.fetch_token(srv.url + TOKEN_PATH, client_id=CLIENT_ID, client_secret=SECRET, timeout=5)
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    resp = session.post(srv.url + USER_PATH, json={"email": "a@example.com", "sourceCode": {"keyName": SOURCE}},
                        timeout=5)
    assert resp.status_code == 201 and resp.json()["email"] == "a@example.com"
    also = requests.post(srv.url + USER_PATH, params={"access_token": token["access_token"]},
                         json={"email": "a@example.com", "sourceCode": {"keyName": SOURCE}}, timeout=5)
    assert also.status_code == 200


def test_no_log_shows_the_token_or_secret(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    srv = serve()
    with caplog.at_level(logging.DEBUG):
        token = requests.get(srv.url + TOKEN_PATH, params={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                          "client_secret": SECRET}, timeout=5).json()["access_token"]
        requests.post(srv.url + USER_PATH, params={"access_token": token},
                      json={"email": "a@example.com", "sourceCode": {"keyName": SOURCE}}, timeout=5)
        requests.get(srv.url + "/__admin/health", timeout=5)  # the server has logged the earlier requests by now
    # Server side only: urllib3 (the client here) logs full URLs at DEBUG, which is the caller's business.
    server_side = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("urllib3"))
    assert "/service/api/v2/user" in server_side
    assert token not in server_side and SECRET not in server_side


def test_plain_werkzeug_request_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """For servers other than ServerThread (`flask run`, make_server): werkzeug logs the raw request line."""
    create_app()  # installs the filter on the werkzeug logger
    line = "POST /service/api/v2/user?access_token=tok-123&x=1 HTTP/1.1"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "now", line, "201", "-")
        logging.getLogger("werkzeug").info("GET /service/oauth/v2/token?client_id=a&client_secret=s-456 200")
    assert "tok-123" not in caplog.text and "s-456" not in caplog.text
    assert "access_token=[redacted]&x=1" in caplog.text and "client_secret=[redacted]" in caplog.text


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "connection_reset"}, id="connection-reset"),
        pytest.param({"kind": "connection_reset", "process": True}, id="connection-reset-after-work"),
        pytest.param({"kind": "timeout", "hang_s": 0.05, "then": "drop"}, id="timeout-then-drop"),
    ],
)
def test_dropped_connections_surface_as_connection_errors(serve: Any, fault: dict[str, Any]) -> None:
    srv = serve(base_behaviour(faults=[{**fault, "operation": "create_user", "first_n": 1}]))
    token = fetch_token(srv.url)
    body = {"email": "a@example.com", "sourceCode": {"keyName": SOURCE}}
    with pytest.raises(requests.ConnectionError):
        requests.post(srv.url + USER_PATH, params={"access_token": token}, json=body, timeout=5)
    retry = requests.post(srv.url + USER_PATH, params={"access_token": token}, json=body, timeout=5)
    assert retry.status_code == (200 if fault.get("process") else 201)
    entries = requests.get(srv.url + "/__admin/journal", timeout=5).json()["entries"]
    assert [e["status"] for e in entries] == [200, 0, retry.status_code]


def test_hang_outlasts_the_client_timeout(serve: Any) -> None:
    srv = serve(base_behaviour(faults=[{"kind": "timeout", "hang_s": 30, "operation": "list_users"}]))
    token = fetch_token(srv.url)
    with pytest.raises(requests.ReadTimeout):
        requests.get(srv.url + "/service/api/v2/users", params={"access_token": token, "email": "a@example.com"},
                     timeout=0.2)
    # The hung request does not block others: the server is threaded and sleeps outside the lock.
    assert requests.get(srv.url + "/service/api/v2/sourcecodes", params={"access_token": token},
                        timeout=5).status_code == 200


def test_reset_releases_hung_requests_and_keeps_them_out_of_the_new_journal(serve: Any) -> None:
    srv = serve(base_behaviour(faults=[{"kind": "timeout", "hang_s": 60, "operation": "list_users"}]))
    token = fetch_token(srv.url)
    with ThreadPoolExecutor(1) as pool:
        hung = pool.submit(requests.get, srv.url + "/service/api/v2/users",
                           params={"access_token": token, "email": "a@example.com"}, timeout=30)
        backend = get_backend(srv.app)
        _wait_for(lambda: backend.faults.counts[0] == 1)  # the request is in its hang
        requests.post(srv.url + "/__admin/reset", timeout=5).raise_for_status()
        assert hung.result(timeout=10).status_code == 504
    assert requests.get(srv.url + "/__admin/journal", timeout=5).json()["entries"] == []


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    """Poll with a deadline (no fixed sleep): the condition is usually true within a few ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.002)


def test_chunked_body_over_the_limit_is_413(serve: Any) -> None:
    srv = serve()
    token = fetch_token(srv.url)
    chunk = b" " * 65536

    def body() -> Iterator[bytes]:
        yield b'{"email": "a@example.com", "pad": "'
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk
        yield b'"}'

    resp = requests.post(srv.url + USER_PATH, params={"access_token": token}, data=body(),
                         headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 413
    small = requests.post(srv.url + USER_PATH, params={"access_token": token},
                          data=iter([b'{"email": "a@example.com", ', b'"sourceCode": {"keyName": "LYTICS2024"}}']),
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert small.status_code == 201


def _hammer(post: Any, threads: int, per_thread: int, emails: int) -> None:
    barrier = threading.Barrier(threads)

    def worker(t: int) -> list[int]:
        barrier.wait(timeout=10)
        return [post(f"user{(t * per_thread + i) % emails}@example.com") for i in range(per_thread)]

    with ThreadPoolExecutor(threads) as pool:
        statuses = [s for batch in pool.map(worker, range(threads)) for s in batch]
    assert len(statuses) == threads * per_thread
    assert set(statuses) <= {200, 201} and statuses.count(201) == emails


def _check_counts(summary: dict[str, Any], users: list[dict[str, Any]], total: int, emails: int) -> None:
    assert summary["total"] == total + 1  # plus the token call
    assert summary["by_operation"] == {"token": 1, "create_user": total}
    assert summary["by_status"] == {"200": total - emails + 1, "201": emails}
    assert summary["per_email"] == {f"user{i}@example.com": total // emails for i in range(emails)}
    assert len({u["id"] for u in users}) == len({u["uuid"] for u in users}) == emails


def test_counts_stay_exact_under_concurrency_in_process() -> None:
    """8 threads x 200 requests through the WSGI app: no lost journal or counter updates."""
    app = create_app({"BEHAVIOUR": base_behaviour()})
    token = app.test_client().post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                                   auth=(CLIENT_ID, SECRET)).json["access_token"]
    local = threading.local()

    def post(email: str) -> int:
        if not hasattr(local, "client"):
            local.client = app.test_client()
        return int(local.client.post(USER_PATH, query_string={"access_token": token},
                                     json={"email": email, "sourceCode": {"keyName": SOURCE}}).status_code)

    _hammer(post, threads=8, per_thread=200, emails=40)
    backend = get_backend(app)
    _check_counts(backend.journal_summary(), backend.all_users(), total=1600, emails=40)


def test_counts_stay_exact_under_concurrency_over_http(serve: Any) -> None:
    srv = serve()
    token = fetch_token(srv.url)
    local = threading.local()

    def post(email: str) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session.post(srv.url + USER_PATH, params={"access_token": token},
                                  json={"email": email, "sourceCode": {"keyName": SOURCE}}, timeout=10).status_code

    _hammer(post, threads=8, per_thread=25, emails=20)
    summary = requests.get(srv.url + "/__admin/journal/summary", timeout=5).json()
    users = requests.get(srv.url + "/__admin/users", timeout=5).json()
    _check_counts(summary, users, total=200, emails=20)
