"""PoolSession, the runner's HTTP client: requests' call shape and exceptions over http.client, on real loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, Response, jsonify, redirect, request

from harness.connpool import SendCancelled
from harness.http import PoolSession, Timeouts
from harness.httpserver import LeanServerThread
from harness.servers import ServerThread

RELEASE = threading.Event()


def _app() -> Flask:
    app = Flask("echo")

    @app.route("/echo", methods=["GET", "POST", "PUT"])
    def echo() -> Response:
        return jsonify(method=request.method, args=request.args.to_dict(flat=False),
                       body=request.get_data(as_text=True), ctype=request.content_type,
                       auth=request.headers.get("Authorization"),
                       ua=request.headers.get("User-Agent"), x=request.headers.get("X-Thing"))

    @app.get("/slow")
    def slow() -> str:
        RELEASE.wait(10)
        return "late"

    @app.get("/moved")
    def moved() -> Response:
        return redirect("/echo", 302)

    @app.get("/latin")
    def latin() -> Response:
        return Response("caf\xe9".encode("latin-1"), content_type="text/plain; charset=latin-1")

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(_app()) as srv:
        yield srv
    RELEASE.set()


@pytest.fixture
def session(server: ServerThread) -> Iterator[PoolSession]:
    with PoolSession(server.url, headers={"X-Thing": "base", "Authorization": "key-1"}) as s:
        yield s


def test_params_are_appended_to_a_query_the_url_already_has(session: PoolSession) -> None:
    got = session.get("/echo?a=1", params={"access_token": "t/+", "b": ["x", "y"], "skip": None}).json()
    assert got["args"] == {"a": ["1"], "access_token": ["t/+"], "b": ["x", "y"]}


@pytest.mark.parametrize(
    ("kwargs", "body", "ctype"),
    [
        ({"json": {"email": "a@x.com", "n": [1]}}, '{"email":"a@x.com","n":[1]}', "application/json"),
        ({"data": {"grant_type": "client_credentials"}}, "grant_type=client_credentials",
         "application/x-www-form-urlencoded"),
        ({"data": b"raw", "headers": {"content-type": "text/plain"}}, "raw", "text/plain"),
        ({"data": "text"}, "text", None),
    ],
    ids=["json", "form", "bytes-with-own-type", "str"],
)
def test_bodies(session: PoolSession, kwargs: dict[str, object], body: str, ctype: str | None) -> None:
    got = session.post("/echo", **kwargs).json()  # type: ignore[arg-type]
    assert (got["body"], got["ctype"]) == (body, ctype)


def test_headers_merge_case_insensitively_and_basic_auth_wins(session: PoolSession) -> None:
    got = session.get("/echo", headers={"x-thing": "mine"}).json()
    assert (got["x"], got["auth"], got["ua"].split("/")[0]) == ("mine", "key-1", "enrichsim")
    got = session.post("/echo", auth=("client", "s3cret")).json()
    assert got["auth"] == "Basic Y2xpZW50OnMzY3JldA=="


def test_reply_reads_like_requests(session: PoolSession) -> None:
    r = session.get("/latin")
    assert (r.status_code, r.ok, r.text, r.headers["content-type"]) == (200, True, "caf\xe9",
                                                                          "text/plain; charset=latin-1")
    with pytest.raises(ValueError):
        r.json()


def test_redirects_are_not_followed(session: PoolSession) -> None:
    r = session.get("/moved")
    assert r.status_code == 302 and r.headers["Location"].endswith("/echo")


def test_a_slow_answer_is_a_read_timeout(server: ServerThread) -> None:
    with PoolSession(server.url, timeouts=Timeouts(connect=2.0, read=0.2)) as s, pytest.raises(requests.ReadTimeout):
        s.get("/slow")


def test_a_closed_port_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with PoolSession(f"http://127.0.0.1:{port}") as s, pytest.raises(requests.ConnectionError) as info:
        s.get("/x")
    assert not isinstance(info.value, requests.Timeout)


def test_one_kept_alive_connection_per_thread() -> None:
    with LeanServerThread(_app()) as srv, PoolSession(srv.url) as s:
        for _ in range(3):
            assert s.get("/echo").status_code == 200
        seen: list[int] = []
        other = threading.Thread(target=lambda: (s.get("/echo"), s.get("/echo"), seen.append(len(s._all))))
        other.start()
        other.join(10)
        assert seen == [2]  # the reuse is the point: one per thread, not one per call


def test_a_connection_the_server_closed_is_replaced() -> None:
    with PoolSession() as s:
        with LeanServerThread(_app()) as srv:
            assert s.get(srv.url + "/echo").status_code == 200
            srv._server.shutdown()  # drops every open connection, the kept-alive one included
        with LeanServerThread(_app(), port=srv.port) as again:
            assert s.get(again.url + "/echo").status_code == 200
        assert len(s._all) == 1  # the dead one was closed and forgotten, a new one opened


def test_werkzeug_closing_every_connection_is_handled(session: PoolSession) -> None:
    assert [session.get("/echo").status_code for _ in range(3)] == [200, 200, 200]


def test_not_an_http_url_is_refused_without_a_secret(session: PoolSession) -> None:
    with pytest.raises(requests.exceptions.InvalidURL) as info:
        session.get("ftp://host/x?access_token=SECRET123")
    assert "SECRET123" not in str(info.value)


def test_connections_closed_by_the_server_are_not_kept(session: PoolSession) -> None:
    """werkzeug's server closes every connection: a long run must not pile up dead ones."""
    for _ in range(20):
        session.get("/echo")
    assert len(session._all) <= 1


def test_a_thread_that_ends_takes_its_connection_with_it() -> None:
    import gc

    with LeanServerThread(_app()) as srv, PoolSession(srv.url) as s:
        worker = threading.Thread(target=lambda: s.get("/echo"))
        worker.start()
        worker.join(10)
        gc.collect()
        assert len(s._all) == 0  # closed with the thread, not kept until close()
        assert s.get("/echo").status_code == 200 and len(s._all) == 1


def test_before_send_runs_on_the_open_connection_and_can_cancel() -> None:
    """The runner's gate gets the last word once the connection is up: a refusal writes nothing and keeps it."""
    hits: list[str] = []
    app = _app()
    app.before_request(lambda: hits.append(request.path) and None)
    with LeanServerThread(app) as srv, PoolSession(srv.url) as s:
        assert s.get("/echo").status_code == 200
        conn = next(iter(s._all))
        calls: list[bool] = []

        def refuse() -> bool:
            calls.append(conn.sock is not None)
            return False

        with pytest.raises(SendCancelled):
            s.post("/echo", data=b"x", before_send=refuse)
        assert calls == [True] and hits == ["/echo"]  # called once, connection up, nothing reached the server
        assert s.post("/echo", data=b"y", before_send=lambda: True).json()["body"] == "y"
        assert len(s._all) == 1 and hits == ["/echo", "/echo"]  # the same connection carried the next request
