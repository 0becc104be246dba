"""The runner's HTTP client: requests' call shape and exception types over one kept-alive connection per thread.

Profiling a backfill showed the runner GIL-bound with most of its time in HTTP client code: requests prepares
and merges settings on every call (~1 ms of CPU per call here), urllib3 under it still ~0.7 ms, `http.client`
alone ~0.25 ms, and most of that in its request/response code; so http.client only connects (and does TLS) and
`harness.http1` writes each request in one piece and reads the answer (docs/performance.md). Every worker thread
of the runner talks to one host at a time, so a keep-alive connection per thread and host needs no pool locking
at all. Same rules as `harness.http.ServiceSession`: explicit connect and read timeouts, no transport-level
retries, no redirects followed, no proxies from the environment, certificate verification on for https.
Transport failures raise requests' exception types (ConnectTimeout, ReadTimeout, ConnectionError, SSLError,
InvalidURL, InvalidHeader), so callers and outcome reasons read the same whichever session they hold.
"""

from __future__ import annotations

import http.client
import json as _json
import logging
import select
import socket
import ssl
import threading
import weakref
from base64 import b64encode
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from harness.http1 import Headers, Link, ProtocolError, encode_request
from harness.redact import REDACTOR

log = logging.getLogger("harness.http")

_Key = tuple[str, str, int]
_DEFAULT_PORT = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0
    read: float = 10.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


class SendCancelled(Exception):
    """`before_send` said no: nothing was written, the connection stays usable."""


class Reply:
    """What callers read of a response, by requests.Response's names."""

    __slots__ = ("content", "headers", "status_code", "url")

    def __init__(self, status_code: int, headers: Headers, content: bytes, url: str) -> None:
        self.status_code = status_code
        self.headers = headers  # case-insensitive get() and [], like requests'
        self.content = content
        self.url = url

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            return self.content.decode(charset, "replace")
        except LookupError:
            return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """Raises ValueError on a body that is not JSON, as requests does."""
        return _json.loads(self.content)


class _ThreadConns(dict[_Key, Link]):
    """One thread's connections; closed when the thread ends and its thread-local storage goes away."""

    def __del__(self) -> None:
        for conn in self.values():
            conn.close()


def _host_header(key: _Key) -> str:
    """As http.client writes it: an IPv6 address in brackets, the port only when it is not the scheme's default."""
    scheme, host, port = key
    host = f"[{host}]" if ":" in host else host
    return host if port == _DEFAULT_PORT[scheme] else f"{host}:{port}"


def _dropped(link: Link) -> bool:
    """An idle keep-alive socket that is readable was closed by the server (or sent junk): do not reuse it."""
    sock = link.sock
    if sock.fileno() < 0:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class PoolSession:
    """Keep-alive connections, one per thread and host, with requests' call shape (see the module docstring)."""

    def __init__(self, base_url: str = "", *, timeouts: Timeouts | None = None, headers: dict[str, str] | None = None,
                 user_agent: str = "enrichsim", ssl_context: ssl.SSLContext | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.headers: dict[str, str] = {"User-Agent": user_agent, "Accept": "*/*"}
        self.headers.update(headers or {})
        self._ssl = ssl_context or ssl.create_default_context()
        self._local = threading.local()
        # Every thread's open connections, for close(); weak, so a thread that ends takes its own with it.
        self._all: weakref.WeakSet[Link] = weakref.WeakSet()
        self._lock = threading.Lock()

    # -- connections ------------------------------------------------------------------------------------------
    def _conn(self, key: _Key, connect_timeout: float) -> Link:
        conns: _ThreadConns = self._local.__dict__.setdefault("conns", _ThreadConns())
        link = conns.get(key)
        if link is not None and not _dropped(link):
            return link
        if link is not None:
            self._drop(link)
        scheme, host, port = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        conn.connect()
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = Link(conn)
        conns[key] = link
        with self._lock:
            self._all.add(link)
        return link

    def _drop(self, link: Link) -> None:
        link.close()
        with self._lock:
            self._all.discard(link)

    def _forget(self, key: _Key) -> None:
        link = self._local.__dict__.get("conns", {}).pop(key, None)
        if link is not None:
            self._drop(link)

    # -- requests -----------------------------------------------------------------------------------------------
    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, data: bytes | str | Mapping[str, Any] | None = None,
                json: Any = None, auth: tuple[str, str] | None = None,
                timeout: tuple[float, float] | None = None, before_send: Callable[[], bool] | None = None) -> Reply:
        """`before_send` runs once the connection is up, immediately before the request is written: the caller's
        last chance to check it may still send (a rate gate) and to stamp the send time. False raises
        SendCancelled."""
        if url.startswith("/"):
            url = self.base_url + url
        if params:
            url += ("&" if "?" in url else "?") + urlencode(
                [(k, v) for k, v in params.items() if v is not None], doseq=True)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise requests.exceptions.InvalidURL(f"not an http(s) URL: {REDACTOR.url(url)}")
        key = (parts.scheme, parts.hostname, parts.port or _DEFAULT_PORT[parts.scheme])
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body, content_type = self._body(data, json)
        send = {k.lower(): (k, v) for k, v in self.headers.items()}
        if content_type is not None:
            send["content-type"] = ("Content-Type", content_type)
        for k, v in (headers or {}).items():
            send[k.lower()] = (k, v)  # a caller's header replaces the default of the same name, whatever its case
        if auth is not None:
            send["authorization"] = ("Authorization", "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
        try:
            raw = encode_request(method, target, _host_header(key), send.values(), body)
        except http.client.InvalidURL as exc:
            raise requests.exceptions.InvalidURL(REDACTOR(exc)) from None
        except ValueError as exc:
            raise requests.exceptions.InvalidHeader(REDACTOR(exc)) from None
        connect, read = timeout or self.timeouts.as_tuple()
        try:
            link = self._conn(key, connect)
        except TimeoutError as exc:
            raise requests.ConnectTimeout(f"{parts.netloc}: connect timed out ({connect:g} s): {exc}") from None
        except ssl.SSLError as exc:
            self._forget(key)
            raise requests.exceptions.SSLError(f"{parts.netloc}: {exc}") from None
        except OSError as exc:
            raise requests.ConnectionError(f"{parts.netloc}: {exc}") from None
        if before_send is not None and not before_send():
            raise SendCancelled(f"{method} {parts.netloc}: not sent")
        try:
            answer = link.exchange(raw, method, read)
        except TimeoutError as exc:
            self._forget(key)
            raise requests.ReadTimeout(f"{parts.netloc}: read timed out ({read:g} s): {exc}") from None
        except ssl.SSLError as exc:
            self._forget(key)
            raise requests.exceptions.SSLError(f"{parts.netloc}: {exc}") from None
        except (OSError, http.client.HTTPException, ProtocolError) as exc:
            self._forget(key)
            raise requests.ConnectionError(f"{parts.netloc}: {type(exc).__name__}: {exc}") from None
        if answer.will_close:
            self._forget(key)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %s (%d bytes)", method, REDACTOR.url(url), answer.status, len(answer.content))
        return Reply(answer.status, answer.headers, answer.content, url)

    @staticmethod
    def _body(data: bytes | str | Mapping[str, Any] | None, json: Any) -> tuple[bytes | None, str | None]:
        """The encoded body and the Content-Type it implies (None: the caller's headers say, if anything)."""
        if json is not None:
            return _json.dumps(json, separators=(",", ":")).encode(), "application/json"
        if isinstance(data, Mapping):
            return urlencode(list(data.items()), doseq=True).encode(), "application/x-www-form-urlencoded"
        if data is not None:
            return (data.encode() if isinstance(data, str) else bytes(data)), None
        return None, None

    def get(self, url: str, **kwargs: Any) -> Reply:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Reply:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        """Close every thread's connections (a thread still using one reconnects on its next call)."""
        with self._lock:
            conns, self._all = list(self._all), weakref.WeakSet()
        for c in conns:
            c.close()

    def __enter__(self) -> PoolSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
