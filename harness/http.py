"""One pooled HTTP session factory per remote service, with explicit timeouts on every call."""

from __future__ import annotations

import json as _json
import logging
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlencode

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3 import HTTPHeaderDict

from harness.redact import RedactingFilter

try:
    USER_AGENT = f"enrichsim/{version('enrichsim')}"
except PackageNotFoundError:  # running from a source tree that was never installed
    USER_AGENT = "enrichsim"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0
    read: float = 10.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


class ServiceSession(requests.Session):
    """A requests.Session bound to one service: base URL, pool size and default timeout.

    No transport-level retries (urllib3 Retry is off): retry policy belongs to the caller, which must follow
    Lytics' rules (status-specific, Retry-After aware) and count every attempt.
    """

    def __init__(self, base_url: str, *, pool_size: int = 10, timeouts: Timeouts | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0, pool_block=False)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.trust_env = False  # no proxies from the environment for a loopback simulator or a pinned vendor URL
        if headers:
            self.headers.update(headers)
        _redact_urllib3_log()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", self.timeouts.as_tuple())
        return super().request(method, url, *args, **kwargs)


def _redact_urllib3_log() -> None:
    """urllib3 logs every request line at DEBUG with its query string, and Ansira's token rides in ?access_token=.

    A filter on urllib3's own logger rewrites the record before any handler sees it (pytest's log capture, a
    user's logging config), where a handler filter would protect only the handlers the CLI set up.
    """
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


class Reply:
    """What the runner reads of a response (requests.Response's names), over urllib3's preloaded body."""

    __slots__ = ("content", "headers", "status_code", "url")

    def __init__(self, status_code: int, headers: Any, content: bytes, url: str) -> None:
        self.status_code = status_code
        self.headers = headers  # urllib3's HTTPHeaderDict: case-insensitive, like requests'
        self.content = content
        self.url = url

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        ctype = self.headers.get("Content-Type", "")
        charset = ctype.partition("charset=")[2].split(";")[0].strip().strip('"') or "utf-8"
        try:
            return self.content.decode(charset, "replace")
        except LookupError:
            return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """Raises ValueError on a body that is not JSON, as requests does."""
        return _json.loads(self.content)


class PoolSession:
    """The runner's HTTP client: requests' call shape and exceptions, urllib3's cost.

    Profiling a backfill showed ~40 % of the runner's CPU inside requests itself (preparing and merging settings
    per call) rather than on the wire; the runner sends every enrichment and every write-back through this
    instead. Same rules as ServiceSession: a keep-alive pool, explicit timeouts, no transport-level retries, no
    redirects followed, no proxies from the environment. Transport failures raise requests' exception types
    (ConnectTimeout, ReadTimeout, ConnectionError), so callers and outcome reasons do not change.
    """

    def __init__(self, base_url: str = "", *, pool_size: int = 10, timeouts: Timeouts | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.headers: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        self.headers.update(headers or {})
        self._pool = urllib3.PoolManager(num_pools=8, maxsize=pool_size, block=False, retries=False)
        _redact_urllib3_log()

    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, data: bytes | str | Mapping[str, Any] | None = None,
                json: Any = None, auth: tuple[str, str] | None = None,
                timeout: tuple[float, float] | None = None) -> Reply:
        if url.startswith("/"):
            url = self.base_url + url
        if params:
            url += ("&" if "?" in url else "?") + urlencode(
                [(k, v) for k, v in params.items() if v is not None], doseq=True)
        merged = HTTPHeaderDict(self.headers)
        body: bytes | None = None
        if json is not None:
            body = _json.dumps(json, separators=(",", ":")).encode()
            merged["Content-Type"] = "application/json"
        elif isinstance(data, Mapping):
            body = urlencode(list(data.items()), doseq=True).encode()
            merged["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = data.encode() if isinstance(data, str) else bytes(data)
        for k, v in (headers or {}).items():
            merged[k] = v  # a caller's header replaces the default of the same name, whatever its case
        if auth is not None:
            merged["Authorization"] = "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        connect, read = timeout or self.timeouts.as_tuple()
        try:
            resp = self._pool.request(method, url, body=body, headers=merged, redirect=False, retries=False,
                                      timeout=urllib3.Timeout(connect=connect, read=read), preload_content=True)
        except urllib3.exceptions.NewConnectionError as exc:  # a ConnectTimeoutError subclass: test it first
            raise requests.ConnectionError(str(exc)) from None
        except urllib3.exceptions.ConnectTimeoutError as exc:
            raise requests.ConnectTimeout(str(exc)) from None
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ReadTimeout(str(exc)) from None
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(str(exc)) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.ConnectionError(str(exc)) from None
        return Reply(resp.status, resp.headers, resp.data, url)

    def get(self, url: str, **kwargs: Any) -> Reply:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Reply:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> PoolSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


HttpSession = ServiceSession | PoolSession


def _lytics_headers(api_key: str, admin_key: str | None) -> dict[str, str]:
    """Lytics wants the raw API key in Authorization (no Bearer prefix)."""
    return {"Authorization": api_key, **({"X-Admin-Key": admin_key} if admin_key else {})}


def lytics_session(base_url: str, api_key: str, *, admin_key: str | None = None, pool_size: int = 10,
                   timeouts: Timeouts | None = None) -> ServiceSession:
    """Session for (mock) Lytics, for the scenario engine, the load driver and tests."""
    return ServiceSession(base_url, pool_size=pool_size, timeouts=timeouts, headers=_lytics_headers(api_key, admin_key))


def runner_lytics_session(base_url: str, api_key: str, *, admin_key: str | None = None, pool_size: int = 10,
                          timeouts: Timeouts | None = None) -> PoolSession:
    """The runner's Lytics client (feed, write-back, job plane): on its hot path, so the lean PoolSession."""
    return PoolSession(base_url, pool_size=pool_size, timeouts=timeouts, headers=_lytics_headers(api_key, admin_key))


def webhook_session(*, pool_size: int = 20, timeouts: Timeouts | None = None) -> PoolSession:
    """Session for the enrichment webhook (Ansira): keep-alive pool sized to the job's worker_count."""
    return PoolSession("", pool_size=pool_size, timeouts=timeouts or Timeouts(connect=3.0, read=30.0))
