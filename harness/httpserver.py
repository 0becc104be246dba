"""A lean HTTP/1.1 WSGI server for load tests: keep-alive, one thread per connection, nothing else.

Measured on the mocks, werkzeug's dev server and waitress spend more CPU per request than the Flask apps they
serve (email-parser headers and a drain `select` per request in werkzeug; a hand-off from the I/O thread to a
worker thread in waitress). In a load test that CPU is the simulator measuring itself, so `harness mock --server
lean` parses the request line and headers by hand, reads the body before the app runs (the next request on the
connection always starts where it should), and writes each response with one `sendall`.

What it does not do: TLS, pipelining beyond sequential keep-alive, streaming responses (a body without
Content-Length is buffered to compute it), HTTP/2. The app gets the socket as `werkzeug.socket`, so mock Ansira's
`connection_reset` / `timeout`+`drop` faults close it exactly as under werkzeug.
"""

from __future__ import annotations

import io
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from harness.redact import REDACTOR
from harness.server_base import BackgroundServer

log = logging.getLogger("harness.servers")

MAX_LINE = 65_536
MAX_HEADERS = 100
MAX_BODY = 16 * 1024 * 1024  # read up front; a larger body is handed over as a bounded stream and the connection closes
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 413: "Payload Too Large",
            414: "URI Too Long", 431: "Request Header Fields Too Large", 500: "Internal Server Error"}


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Bounded(io.RawIOBase):
    """At most `left` bytes of the connection: a body too large to read up front."""

    def __init__(self, rfile: Any, left: int) -> None:
        self._rfile = rfile
        self._left = left

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._left)
        if n <= 0:
            return 0
        data = self._rfile.read(n)
        b[: len(data)] = data
        self._left -= len(data)
        return len(data)


class LeanServer:
    def __init__(self, app: Callable[..., Iterable[bytes]], host: str, port: int) -> None:
        self.app = app
        self.sock = socket.create_server((host, port), backlog=1024)
        self.host, self.port = host, int(self.sock.getsockname()[1])
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closing = False

    def serve_forever(self) -> None:
        while not self._closing:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return  # the listening socket was shut down
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._closing:
                    conn.close()
                    return
                self._conns.add(conn)
            threading.Thread(target=self._connection, args=(conn, addr), name="lean-http", daemon=True).start()

    def shutdown(self) -> None:
        """Stop accepting and end every open connection (their threads exit at once)."""
        with self._lock:
            self._closing = True
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
            pass  # the peer went away, or the app dropped the connection on purpose (a simulated fault)
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
        line = rfile.readline(MAX_LINE + 1)
        if not line:
            return False
        try:
            if len(line) > MAX_LINE:
                raise _BadRequest(414, "request line too long")
            method, target, version = self._request_line(line)
            headers = self._headers(rfile)
            environ, keep = self._environ(conn, rfile, addr, method, target, version, headers)
        except _BadRequest as exc:
            self._write(conn, "HEAD", f"{exc.status} {_REASONS.get(exc.status, 'Error')}",
                        [("Content-Type", "text/plain")], [str(exc).encode()], keep=False)
            return False
        try:
            keep = self._run(conn, environ, method, keep)
        finally:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s", method, REDACTOR.url(target))
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
        while True:
            h = rfile.readline(MAX_LINE + 1)
            if h in (b"\r\n", b"\n", b""):
                return headers
            if len(h) > MAX_LINE or len(headers) >= MAX_HEADERS:
                raise _BadRequest(431, "request headers too large")
            name, sep, value = h.decode("latin-1").partition(":")
            if not sep or not name.strip() or name != name.strip():
                raise _BadRequest(400, "malformed header line")
            headers.append((name, value.strip()))

    def _environ(self, conn: socket.socket, rfile: Any, addr: Any, method: str, target: str, version: str,
                 headers: list[tuple[str, str]]) -> tuple[dict[str, Any], bool]:
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
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body, complete = self._dechunk(rfile)
            environ["wsgi.input"], environ["wsgi.input_terminated"] = io.BytesIO(body), True
            environ.pop("CONTENT_LENGTH", None)
            return environ, keep and complete
        try:
            n = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _BadRequest(400, "Content-Length is not a number") from None
        if n < 0:
            raise _BadRequest(400, "negative Content-Length")
        if n <= MAX_BODY:
            environ["wsgi.input"] = io.BytesIO(rfile.read(n) if n else b"")
            return environ, keep
        environ["wsgi.input"] = io.BufferedReader(_Bounded(rfile, n))
        return environ, False  # whatever the app leaves unread would be read as the next request: close

    @staticmethod
    def _dechunk(rfile: Any) -> tuple[bytes, bool]:
        """The whole chunked body, up to MAX_BODY + 1 bytes; False when it was cut (then the connection closes)."""
        out = bytearray()
        while True:
            size_line = rfile.readline(MAX_LINE + 1)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(400, "malformed chunk size") from None
            if size == 0:
                while rfile.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out), True
            take = min(size, MAX_BODY + 1 - len(out))
            out += rfile.read(take)
            if take < size:
                return bytes(out), False
            rfile.readline(MAX_LINE + 1)  # the CRLF after the chunk

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

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "server") -> None:
        self.app = app
        self.name = name
        self._server = LeanServer(app, host, port)
        self.host, self.port = host, self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def stop(self) -> None:
        self._server.shutdown()
        self._join()
