"""Serve a WSGI app on a loopback port in a background thread, and wait for readiness without sleeping."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from harness.redact import REDACTOR

log = logging.getLogger("harness.servers")


class _RedactingHandler(WSGIRequestHandler):
    """Request logs at DEBUG through the redactor: werkzeug's default prints query strings (access_token=...)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s", self.command, REDACTOR.url(self.path), code)

    def log_error(self, format: str, *args: object) -> None:
        log.warning("%s", REDACTOR(format % args))

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s", REDACTOR(format % args))


class ServerThread:
    """A threaded werkzeug server on 127.0.0.1 and an OS-chosen port unless told otherwise."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "server") -> None:
        self.app = app
        self.name = name
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_RedactingHandler)
        self._server.daemon_threads = True
        # werkzeug writes headers and body separately; without TCP_NODELAY Nagle holds the body until the
        # client's delayed ACK (~40 ms on Linux) on every keep-alive response. Accepted sockets inherit it.
        self._server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host = host
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, *, ready_path: str | None = None, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        if ready_path is not None:
            wait_ready(self.url + ready_path, timeout=timeout)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_ready(url: str, *, timeout: float = 10.0, headers: dict[str, str] | None = None) -> None:
    """Poll `url` until it answers with any HTTP status below 500; raise TimeoutError after `timeout`.

    The poll interval backs off from 5 ms, so a fast server is seen almost at once.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    last: Exception | None = None
    while True:
        try:
            resp = requests.get(url, timeout=1.0, headers=headers)
            if resp.status_code < 500:
                return
            last = RuntimeError(f"HTTP {resp.status_code}")
        except requests.RequestException as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} not ready after {timeout:.1f}s: {last}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


SERVERS = ("werkzeug", "waitress")


class WaitressServerThread:
    """The same interface as ServerThread on waitress: HTTP/1.1 keep-alive and a fixed worker pool.

    Load tests need it: werkzeug's dev server closes the connection after every response, so each call pays a TCP
    connect and a new thread. Waitress exposes no socket to the app, so mock Ansira's `connection_reset` and
    `timeout`+`drop` faults cannot close the connection under it (they become 500s); keep werkzeug for those.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "server",
                 threads: int = 32) -> None:
        from waitress.server import create_server

        self.app = app
        self.name = name
        self._server = create_server(app, host=host, port=port, threads=threads, ident="enrichsim",
                                     connection_limit=1000, channel_timeout=60, asyncore_use_poll=True)
        self.host = host
        self.port = int(self._server.effective_port)  # type: ignore[union-attr]
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, *, ready_path: str | None = None, timeout: float = 10.0) -> WaitressServerThread:
        self._thread.start()
        if ready_path is not None:
            wait_ready(self.url + ready_path, timeout=timeout)
        return self

    def stop(self) -> None:
        server = self._server

        def close_all() -> None:  # runs in the loop thread: an emptied socket map ends the loop
            for dispatcher in list(server._map.values()):  # type: ignore[union-attr]
                dispatcher.close()

        server.trigger.pull_trigger(close_all)  # type: ignore[union-attr]
        self._thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]

    def __enter__(self) -> WaitressServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_thread(app: Any, *, server: str = "werkzeug", host: str = "127.0.0.1", port: int = 0,
                  name: str = "server", threads: int = 32) -> ServerThread | WaitressServerThread:
    """A ServerThread (werkzeug, the default) or a WaitressServerThread, chosen by name."""
    if server == "werkzeug":
        return ServerThread(app, host=host, port=port, name=name)
    if server == "waitress":
        return WaitressServerThread(app, host=host, port=port, name=name, threads=threads)
    raise ValueError(f"unknown server {server!r}; expected one of {', '.join(SERVERS)}")
