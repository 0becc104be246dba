"""One pooled HTTP session factory per remote service, with explicit timeouts on every call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from harness.redact import RedactingFilter


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


def lytics_session(base_url: str, api_key: str, *, admin_key: str | None = None, pool_size: int = 10,
                   timeouts: Timeouts | None = None) -> ServiceSession:
    """Session for (mock) Lytics: raw API key in Authorization, as Lytics expects (no Bearer prefix)."""
    headers = {"Authorization": api_key}
    if admin_key:
        headers["X-Admin-Key"] = admin_key
    return ServiceSession(base_url, pool_size=pool_size, timeouts=timeouts, headers=headers)


def webhook_session(*, pool_size: int = 20, timeouts: Timeouts | None = None) -> ServiceSession:
    """Session for the enrichment webhook (Ansira): keep-alive pool sized to the job's worker_count."""
    return ServiceSession("", pool_size=pool_size, timeouts=timeouts or Timeouts(connect=3.0, read=30.0))
