"""A lean HTTP/1.1 WSGI server for load tests: keep-alive, one thread per connection, nothing else.

Measured on the mocks, werkzeug's dev server and waitress spend more CPU per request than the Flask apps they
serve (email-parser headers and a drain `select` per request in werkzeug; a hand-off from the I/O thread to a
worker thread in waitress). In a load test that CPU is the simulator measuring itself, so `harness mock --server
lean` parses the request line and headers by hand, reads the body before the app runs (the next request on the
connection always starts where it should), and writes each response with one `sendall`. Framing is strict and
bounded (harness/framing.py): the body is read up to the app's limit, bad framing is a 400 that closes, headers
and idle time are bounded, and running out of descriptors (EMFILE) pauses accepting instead of ending it.

What it does not do: TLS, pipelining beyond sequential keep-alive, streaming responses (a body without
Content-Length is buffered to compute it), HTTP/2. The app gets the socket as `werkzeug.socket`, so mock Ansira's
`connection_reset` / `timeout`+`drop` faults close it exactly as under werkzeug.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from harness.deadlines import DEADLINES
from harness.framing import (
    IDLE_TIMEOUT_S,
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_REQUEST_LINE,
    RESOURCE_ERRNOS,
    Body,
    FramingError,
    body_limit,
    error_response,
    linger_close,
    parse_framing,
    read_body,
)
from harness.redact import REDACTOR
from harness.server_base import BackgroundServer

log = logging.getLogger("harness.servers")

_BadRequest = FramingError  # a request this server refuses itself: answered with its status, then closed


class LeanServer:
    def __init__(self, app: Callable[..., Iterable[bytes]], host: str, port: int, *,
                 idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        self.app = app
        self.limit, self.enforced = body_limit(app)
        self.idle_timeout = idle_timeout
        self.sock = socket.create_server((host, port), backlog=1024)
        self.host, self.port = host, int(self.sock.getsockname()[1])
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closing = False
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        """Accept until shutdown(). Running out of descriptors (EMFILE) or memory is logged and retried with a
        backoff, never fatal: the connections already open finish, free their descriptors, and accepting resumes."""
        backoff = 0.0
        while not self._closing:
            try:
                conn, addr = self.sock.accept()
            except OSError as exc:
                if self._closing:
                    return  # the listening socket was shut down
                if exc.errno not in RESOURCE_ERRNOS:
                    log.info("accept failed (%s); continuing", exc)
                    continue  # ECONNABORTED and the like: that one connection is gone, the next may come
                if backoff == 0.0:
                    log.warning("cannot accept connections: %s; retrying until resources free up", exc)
                backoff = min(max(backoff * 2, 0.01), 0.5)
                self._stopped.wait(backoff)
                continue
            if backoff:
                log.warning("accepting connections again")
                backoff = 0.0
            self._start(conn, addr)

    def _start(self, conn: socket.socket, addr: Any) -> None:
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(self.idle_timeout)
            with self._lock:
                if self._closing:
                    conn.close()
                    return
                self._conns.add(conn)
            threading.Thread(target=self._connection, args=(conn, addr), name="lean-http", daemon=True).start()
        except (OSError, RuntimeError) as exc:  # no thread to serve it (RuntimeError: can't start new thread)
            log.warning("cannot serve a new connection: %s", exc)
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def shutdown(self) -> None:
        """Stop accepting and end every open connection (their threads exit at once)."""
        with self._lock:
            self._closing = True
            self._stopped.set()
            conns = list(self._conns)
        for s in (self.sock, *conns):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sock.close()

    # -- one connection ---------------------------------------------------------------------------------------
    def _connection(self, conn: socket.socket, addr: Any) -> None:
        rfile = conn.makefile("rb", buffering=65_536)
        try:
            while self._request(conn, rfile, addr):
                pass
        except (ConnectionError, TimeoutError, OSError):
            pass  # the peer went away or stayed silent, or the app dropped the connection (a simulated fault)
        except Exception as exc:  # never a traceback on stderr, never a dead thread without a word
            log.error("connection from %s failed: %s", addr[0], REDACTOR(repr(exc)))
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                rfile.close()
                conn.close()
            except OSError:
                pass

    def _request(self, conn: socket.socket, rfile: Any, addr: Any) -> bool:
        """Serve one request; False when the connection should close."""
        if not rfile.peek(1):  # waits for the request's first byte (the idle timeout applies)
            return False
        # from here the whole request has one idle timeout to arrive (harness/deadlines.py): no slow drip
        deadline = DEADLINES.arm(conn, self.idle_timeout)
        target = "-"
        try:
            line = rfile.readline(MAX_REQUEST_LINE + 1)
            if not line:
                return False
            if len(line) > MAX_REQUEST_LINE:
                raise _BadRequest(414, f"request line over {MAX_REQUEST_LINE} bytes")
            method, target, version = self._request_line(line)
            headers = self._headers(rfile)
            environ, keep, body = self._environ(conn, rfile, addr, method, target, version, headers)
        except _BadRequest as exc:
            log.info("refused %s: %s %s", REDACTOR.url(target), exc.status, REDACTOR(str(exc)))
            conn.sendall(error_response(exc.status, str(exc)))
            linger_close(conn)
            return False
        finally:
            DEADLINES.disarm(deadline)  # all of the request is here (or refused): the app's time does not count
        try:
            keep = self._run(conn, environ, method, keep)
        finally:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s", method, REDACTOR.url(target))
        if not body.complete:
            linger_close(conn)  # the rest of an oversized body is never read: answer, then close
        return keep

    @staticmethod
    def _request_line(line: bytes) -> tuple[str, str, str]:
        parts = line.decode("latin-1").rstrip("\r\n").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400, "malformed request line")
        return parts[0], parts[1], parts[2]

    @staticmethod
    def _headers(rfile: Any) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        left = MAX_HEADER_BYTES
        while True:
            h = rfile.readline(left + 1)
            left -= len(h)
            if h == b"\r\n":
                return headers
            if left < 0:
                raise _BadRequest(431, f"request headers over {MAX_HEADER_BYTES} bytes")
            if len(headers) >= MAX_HEADERS:
                raise _BadRequest(431, f"more than {MAX_HEADERS} request headers")
            if not h.endswith(b"\r\n"):
                raise _BadRequest(400, "the request headers ended early or a line is not ended by CRLF")
            name, sep, value = h[:-2].decode("latin-1").partition(":")
            if not sep or not name.strip() or name != name.strip():
                raise _BadRequest(400, "malformed header line")
            headers.append((name, value.strip(" \t")))

    def _environ(self, conn: socket.socket, rfile: Any, addr: Any, method: str, target: str, version: str,
                 headers: list[tuple[str, str]]) -> tuple[dict[str, Any], bool, Body]:
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query, "REQUEST_URI": target, "RAW_URI": target, "SERVER_PROTOCOL": version,
            "SERVER_NAME": self.host, "SERVER_PORT": str(self.port), "REMOTE_ADDR": str(addr[0]),
            "REMOTE_PORT": addr[1], "SERVER_SOFTWARE": "enrichsim-lean", "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "werkzeug.socket": conn,
        }
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if "_" in name:
                continue  # as werkzeug: a header spelt with '_' could shadow one spelt with '-'
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        conn_hdr = environ.get("HTTP_CONNECTION", "").lower()
        keep = "close" not in conn_hdr and (version == "HTTP/1.1" or "keep-alive" in conn_hdr)
        framing = parse_framing(headers)
        if framing.length is not None and framing.length > self.limit and not self.enforced:
            raise _BadRequest(413, f"the request body is over the limit of {self.limit} bytes")
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue" and (framing.length or 0) <= self.limit:
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = read_body(rfile, framing, self.limit)
        if body.over_limit and not self.enforced:
            raise _BadRequest(413, f"the request body is over the limit of {self.limit} bytes")
        environ["wsgi.input"] = body.stream
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        if framing.chunked and body.complete:  # the app sees a body of known length
            environ["CONTENT_LENGTH"] = str(body.size)
        elif framing.chunked:  # over the limit: limit + 1 bytes of unknown length; the app answers 413
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
        return environ, keep and body.complete, body

    def _run(self, conn: socket.socket, environ: dict[str, Any], method: str, keep: bool) -> bool:
        captured: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
            if exc_info and captured:
                raise exc_info[1].with_traceback(exc_info[2])
            captured[:] = [status, headers]
            return _no_write

        try:
            result = self.app(environ, start_response)
            try:
                chunks = list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except (ConnectionError, OSError):
            raise  # the app dropped the connection (mock Ansira's socket faults): no response
        except Exception as exc:
            log.error("error serving %s %s: %s", method, REDACTOR.url(environ.get("REQUEST_URI", "")),
                      REDACTOR(repr(exc)))
            self._write(conn, method, "500 Internal Server Error", [("Content-Type", "text/plain")],
                        [b"internal server error"], keep=False)
            return False
        status, headers = captured
        return self._write(conn, method, status, headers, chunks, keep=keep)

    @staticmethod
    def _write(conn: socket.socket, method: str, status: str, headers: list[tuple[str, str]], chunks: list[bytes],
               *, keep: bool) -> bool:
        code = int(status.split(" ", 1)[0])
        body = b"".join(chunks)
        names = {k.lower() for k, _ in headers}
        out = [f"HTTP/1.1 {status}\r\n"]
        out += [f"{k}: {v}\r\n" for k, v in headers if k.lower() not in ("connection", "transfer-encoding")]
        if "content-length" not in names and not (100 <= code < 200 or code in (204, 304)):
            out.append(f"Content-Length: {len(body)}\r\n")
        out.append("Connection: keep-alive\r\n\r\n" if keep else "Connection: close\r\n\r\n")
        head = "".join(out).encode("latin-1")
        conn.sendall(head if method == "HEAD" else head + body)
        return keep


def _no_write(data: bytes) -> None:
    raise RuntimeError("this server does not support the WSGI write() callable")


class LeanServerThread(BackgroundServer):
    """The ServerThread interface on LeanServer."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "server",
                 idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        self.app = app
        self.name = name
        self._server = LeanServer(app, host, port, idle_timeout=idle_timeout)
        self.host, self.port = host, self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def stop(self) -> None:
        self._server.shutdown()
        self._join()
