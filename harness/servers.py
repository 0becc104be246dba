"""Serve a WSGI app on a loopback port in a background thread, and wait for readiness without sleeping."""

from __future__ import annotations

import io
import logging
import os
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from harness.errors import ConfigError
from harness.redact import REDACTOR
from harness.server_base import BackgroundServer, wait_ready

__all__ = ["SERVERS", "BackgroundServer", "ServerThread", "WaitressServerThread", "server_thread", "wait_ready"]

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


class _AlwaysReadable:
    """A pipe with a byte waiting in it, never read: select() always finds it readable."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        os.write(self._w, b"x")

    def fileno(self) -> int:
        return self._r


class _KeepAliveHandler(_RedactingHandler):
    """werkzeug's handler without `Connection: close` on every response (still one thread per connection).

    werkzeug closes every connection because http.server cannot skip a body the app left unread, and after each
    response it drains whatever else the socket holds (waiting 10 ms for it). Here the body is read up front
    (Content-Length up to PREREAD_MAX) and handed to the app as a BytesIO; while werkzeug runs the app, its drain
    is pointed at an always-readable dummy and an empty stream, so it neither waits nor eats the next request.
    Chunked or larger bodies keep werkzeug's behaviour (drain, close). The app still gets the real socket as
    `werkzeug.socket`, so mock Ansira's socket faults work as under plain werkzeug.
    """

    PREREAD_MAX = 16 * 1024 * 1024
    _DUMMY: _AlwaysReadable | None = None
    keep_alive = False

    def run_wsgi(self) -> None:
        real_rfile, real_conn = self.rfile, self.connection
        try:
            super().run_wsgi()
        finally:
            self.rfile, self.connection = real_rfile, real_conn

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        self.keep_alive = False
        if environ.get("wsgi.input_terminated"):
            return environ  # chunked: the app reads the dechunked stream itself; close afterwards
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return environ
        if 0 <= n <= self.PREREAD_MAX:
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(n) if n else b"")
            self.keep_alive = True
            if _KeepAliveHandler._DUMMY is None:
                _KeepAliveHandler._DUMMY = _AlwaysReadable()
            self.rfile, self.connection = io.BytesIO(), _KeepAliveHandler._DUMMY
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        if (keyword.lower() == "connection" and value.lower() == "close" and self.keep_alive
                and not self.close_connection):  # the client did not ask to close: keep the connection open
            return
        super().send_header(keyword, value)


class ServerThread(BackgroundServer):
    """A threaded werkzeug server on 127.0.0.1 and an OS-chosen port unless told otherwise.

    `keep_alive=True` answers HTTP/1.1 requests without closing the connection (see _KeepAliveHandler); stopping
    the server then leaves established connections to their threads, so it is meant for processes that exit.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "server",
                 keep_alive: bool = False) -> None:
        self.app = app
        self.name = name
        handler = _KeepAliveHandler if keep_alive else _RedactingHandler
        try:
            self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=handler)
        except SystemExit:  # werkzeug prints and exits the process when it cannot bind; a library must raise
            raise ConfigError(f"{name}: cannot listen on {host}:{port} (address in use or not allowed); "
                              "pick another port or 0 for any free one") from None
        self._server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadedWSGIServer has it
        # werkzeug writes headers and body separately; without TCP_NODELAY Nagle holds the body until the
        # client's delayed ACK (~40 ms on Linux) on every keep-alive response. Accepted sockets inherit it.
        self._server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host = host
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def stop(self) -> None:
        """Safe on a server that never started: shutdown() would wait forever for a serve loop that never ran."""
        if self._thread.ident is not None:
            self._server.shutdown()
        self._server.server_close()
        self._join()


SERVERS = ("werkzeug", "werkzeug-keepalive", "waitress", "lean")


class WaitressServerThread(BackgroundServer):
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
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    def stop(self) -> None:
        server = self._server

        def close_all() -> None:  # runs in the loop thread: an emptied socket map ends the loop
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        server.trigger.pull_trigger(close_all)
        self._join()
        server.task_dispatcher.shutdown(timeout=5)


def server_thread(app: Any, *, server: str = "werkzeug", host: str = "127.0.0.1", port: int = 0,
                  name: str = "server", threads: int = 32) -> BackgroundServer:
    """A server thread chosen by name: werkzeug (the default), werkzeug-keepalive, waitress or lean."""
    if server in ("werkzeug", "werkzeug-keepalive"):
        return ServerThread(app, host=host, port=port, name=name, keep_alive=server == "werkzeug-keepalive")
    if server == "waitress":
        return WaitressServerThread(app, host=host, port=port, name=name, threads=threads)
    if server == "lean":
        from harness.httpserver import LeanServerThread

        return LeanServerThread(app, host=host, port=port, name=name)
    raise ValueError(f"unknown server {server!r}; expected one of {', '.join(SERVERS)}")
