"""Serve a WSGI app on a loopback port in a background thread, and wait for readiness without sleeping."""

from __future__ import annotations

import http.client
import io
import logging
import os
import socket
import threading
import time
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from harness.deadlines import DEADLINES
from harness.errors import ConfigError
from harness.framing import (
    DEFAULT_BODY_LIMIT,
    IDLE_TIMEOUT_S,
    MAX_HEADER_BYTES,
    RESOURCE_ERRNOS,
    Body,
    Framing,
    FramingError,
    body_limit,
    error_response,
    linger_close,
    parse_framing,
    read_body,
)
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
        if format.startswith("Request timed out"):  # an idle connection closed by the idle timeout: expected
            log.debug("%s", REDACTOR(format % args))
        elif format.startswith("code %d") and args and isinstance(args[0], int) and args[0] < 500:
            log.info("%s", REDACTOR(format % args))  # a client's bad request (431 and the like), as lean logs it
        else:
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


class _HeaderBudget:
    """The handler's rfile while http.server parses headers: the whole block is bounded, not only each line."""

    def __init__(self, rfile: Any, budget: int) -> None:
        self._rfile, self._left = rfile, budget

    def readline(self, limit: int = -1) -> bytes:
        cap = self._left + 1 if limit < 0 else min(limit, self._left + 1)
        line = self._rfile.readline(cap)
        self._left -= len(line)
        if self._left < 0:  # http.server answers 431 for this exception
            raise http.client.LineTooLong(f"header block over {MAX_HEADER_BYTES} bytes")
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rfile, name)


class _FramedHandler(_RedactingHandler):
    """werkzeug's handler with strict framing (harness/framing.py) and the body read before the app runs.

    werkzeug's own chunked reader trusts the chunk-size line (a huge size then EOF makes it return bytes that
    were never sent), and after each response it drains whatever else the socket holds. Here the framing headers
    are checked first (400 and close on anything odd), the body is read up to the app's limit + 1 and handed over
    as a BytesIO, and while werkzeug runs the app its drain is pointed at an always-readable dummy and an empty
    stream, so it neither waits nor reads past the limit (or into the next request). The app still gets the real
    socket as `werkzeug.socket`, so mock Ansira's socket faults work as before.
    """

    _DUMMY: _AlwaysReadable | None = None
    keep_alive_ok = False  # may a connection outlive its first request (the subclass says yes)
    keep_alive = False
    _body: Body | None = None
    _framing: Framing | None = None

    _deadline: int | None = None

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(getattr(self.server, "idle_timeout", IDLE_TIMEOUT_S))  # silent ones are closed

    def handle_one_request(self) -> None:
        """Wait for a request's first byte (the idle timeout applies), then give the whole request -- line, headers
        and body -- one idle timeout to arrive (harness/deadlines.py): a slow drip cannot hold the thread."""
        if not isinstance(self.rfile, io.BufferedReader):  # not the buffered socket file http.server makes
            super().handle_one_request()
            return
        try:
            started = self.rfile.peek(1)
        except (TimeoutError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                self.log_error("Request timed out: %r", exc)
            self.close_connection = True
            return
        if not started:
            self.close_connection = True
            return
        self._deadline = DEADLINES.arm(self.connection, getattr(self.server, "idle_timeout", IDLE_TIMEOUT_S))
        try:
            super().handle_one_request()
        finally:
            DEADLINES.disarm(self._deadline)

    def parse_request(self) -> bool:
        self.keep_alive, self._body, self._framing = False, None, None
        real = self.rfile
        self.rfile = _HeaderBudget(real, MAX_HEADER_BYTES)  # type: ignore[assignment]
        try:
            return super().parse_request()
        finally:
            self.rfile = real

    def run_wsgi(self) -> None:
        real_rfile, real_conn = self.rfile, self.connection
        try:
            self._framing = parse_framing(self.headers.items())
            super().run_wsgi()  # make_environ (below) reads the body before anything is written
        except FramingError as exc:
            self.rfile, self.connection = real_rfile, real_conn
            self._refuse(exc)
            return
        finally:
            self.rfile, self.connection = real_rfile, real_conn
        if self._body is not None and not self._body.complete:
            self.close_connection = True  # the rest of an oversized body is never read: nothing can follow it
            linger_close(self.connection)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        assert self._framing is not None
        limit, enforced = getattr(self.server, "body_limit", (DEFAULT_BODY_LIMIT, False))
        body = self._body = read_body(self.rfile, self._framing, limit)
        DEADLINES.disarm(self._deadline)  # all of the request is here: the app's own time does not count
        if body.over_limit and not enforced:
            raise FramingError(413, f"the request body is over the limit of {limit} bytes")
        environ["wsgi.input"] = body.stream
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        if self._framing.chunked and body.complete:  # the app sees a body of known length
            environ["CONTENT_LENGTH"] = str(body.size)
            environ.pop("wsgi.input_terminated", None)
        elif self._framing.chunked:  # over the limit: limit + 1 bytes of an unknown length; the app says 413
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
        self.keep_alive = body.complete and self.keep_alive_ok
        if _FramedHandler._DUMMY is None:
            _FramedHandler._DUMMY = _AlwaysReadable()
        self.rfile, self.connection = io.BytesIO(), _FramedHandler._DUMMY
        return environ

    def _refuse(self, exc: FramingError) -> None:
        self.close_connection, self.keep_alive = True, False
        log.info("refused %s %s: %s %s", self.command, REDACTOR.url(self.path), exc.status, REDACTOR(str(exc)))
        try:
            self.wfile.write(error_response(exc.status, str(exc)))
            self.wfile.flush()
        except OSError:
            return
        linger_close(self.connection)


class _KeepAliveHandler(_FramedHandler):
    """werkzeug's handler without `Connection: close` on every response (still one thread per connection).

    http.server cannot skip a body the app left unread; _FramedHandler reads it before the app runs, so the
    next request on the connection always starts where it should. An oversized body still closes.
    """

    keep_alive_ok = True

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
                 keep_alive: bool = False, idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        self.app = app
        self.name = name
        handler = _KeepAliveHandler if keep_alive else _FramedHandler
        try:
            self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=handler)
        except SystemExit:  # werkzeug prints and exits the process when it cannot bind; a library must raise
            raise ConfigError(f"{name}: cannot listen on {host}:{port} (address in use or not allowed); "
                              "pick another port or 0 for any free one") from None
        self._server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadedWSGIServer has it
        self._server.body_limit = body_limit(app)  # type: ignore[attr-defined]
        self._server.idle_timeout = idle_timeout  # type: ignore[attr-defined]
        _guard_accept(self._server)
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


def _guard_accept(server: BaseWSGIServer) -> None:
    """Out of descriptors (EMFILE), socketserver drops the error silently and spins on a listening socket that
    stays readable: one WARNING per episode, a short pause per retry, and a line when accepting works again."""
    accept = server.get_request
    starved = False

    def get_request() -> tuple[socket.socket, Any]:
        nonlocal starved
        try:
            pair = accept()
        except OSError as exc:
            if exc.errno in RESOURCE_ERRNOS:
                if not starved:
                    log.warning("cannot accept connections: %s; retrying until resources free up", exc)
                    starved = True
                time.sleep(0.02)  # in the serve loop: lets open connections finish instead of spinning
            raise  # socketserver skips this round
        if starved:
            log.warning("accepting connections again")
            starved = False
        return pair

    server.get_request = get_request  # type: ignore[method-assign]


SERVERS = ("werkzeug", "werkzeug-keepalive", "waitress", "lean")


class _QueueDepthAsInfo(logging.Filter):
    """waitress logs "Task queue depth is N" at WARNING whenever every worker thread is busy: a request waits a
    moment, none fails. On a busy CI runner a burst of test requests does that, and users read WARNING lines as
    failures (make flake caught it 3 runs in 3), so the mock reports it at INFO: still there with -v."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING:
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_QUEUE_DEPTH = _QueueDepthAsInfo()


class WaitressServerThread(BackgroundServer):
    """The same interface as ServerThread on waitress: HTTP/1.1 keep-alive and a fixed worker pool.

    Load tests need it: werkzeug's dev server closes the connection after every response, so each call pays a TCP
    connect and a new thread. Waitress exposes no socket to the app, so mock Ansira's `connection_reset` and
    `timeout`+`drop` faults cannot close the connection under it (they become 500s); keep werkzeug for those.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "server",
                 threads: int = 32, idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        from waitress.server import create_server

        from harness.framing_waitress import StrictChannel, guard_accept, waitress_limits

        logging.getLogger("waitress.queue").addFilter(_QUEUE_DEPTH)  # the same object each time: added once
        self.app = app
        self.name = name
        self._server = create_server(app, host=host, port=port, threads=threads, ident="enrichsim",
                                     connection_limit=1000, asyncore_use_poll=True,
                                     **waitress_limits(app, idle_timeout))
        self._server.channel_class = StrictChannel
        guard_accept(self._server)
        self.host = host
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    def stop(self) -> None:
        server = self._server

        def close_all() -> None:  # runs in the loop thread: an emptied socket map ends the loop
            for dispatcher in [*server._map.values(), server.trigger]:
                try:
                    dispatcher.close()
                except OSError as exc:  # already closed under it: what matters is that it leaves the map
                    log.debug("closing %r: %s", dispatcher, exc)
                leftover = getattr(dispatcher, "socket", None)  # a trigger whose close failed half-way keeps it
                if leftover is not None:
                    try:
                        leftover.close()
                    except OSError as exc:
                        log.debug("closing %r: %s", leftover, exc)
                    dispatcher.socket = None

        try:
            server.trigger.pull_trigger(close_all)
        except OSError as exc:
            # The loop's wake-up pipe is closed (seen once in CI: EBADF). Stopping must not depend on it: close
            # from this thread; the loop finds its map empty within one poll timeout and ends.
            log.info("waitress wake-up pipe unusable (%s); closing its sockets from the stopping thread", exc)
            close_all()
        self._join()
        server.task_dispatcher.shutdown(timeout=5)


def server_thread(app: Any, *, server: str = "werkzeug", host: str = "127.0.0.1", port: int = 0,
                  name: str = "server", threads: int = 32, idle_timeout: float = IDLE_TIMEOUT_S) -> BackgroundServer:
    """A server thread chosen by name: werkzeug (the default), werkzeug-keepalive, waitress or lean.

    Every option frames requests strictly (harness/framing.py): bodies bounded by the app's MAX_CONTENT_LENGTH,
    bad framing a 400 that closes, header block and idle time bounded (`idle_timeout` seconds).
    """
    if server in ("werkzeug", "werkzeug-keepalive"):
        return ServerThread(app, host=host, port=port, name=name, keep_alive=server == "werkzeug-keepalive",
                            idle_timeout=idle_timeout)
    if server == "waitress":
        return WaitressServerThread(app, host=host, port=port, name=name, threads=threads,
                                    idle_timeout=idle_timeout)
    if server == "lean":
        from harness.httpserver import LeanServerThread

        return LeanServerThread(app, host=host, port=port, name=name, idle_timeout=idle_timeout)
    raise ValueError(f"unknown server {server!r}; expected one of {', '.join(SERVERS)}")
