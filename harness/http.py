"""One pooled HTTP session factory per remote service, with explicit timeouts on every call."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from harness.connpool import PoolSession, Reply, Timeouts
from harness.redact import RedactingFilter

__all__ = ["PoolSession", "Reply", "ServiceSession", "Timeouts", "ansira_session", "lytics_session",
           "runner_lytics_session", "webhook_session"]

try:
    USER_AGENT = f"enrichsim/{version('enrichsim')}"
except PackageNotFoundError:  # running from a source tree that was never installed
    USER_AGENT = "enrichsim"


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


HttpSession = ServiceSession | PoolSession  # what the runner's token manager accepts


def _lytics_headers(api_key: str, admin_key: str | None) -> dict[str, str]:
    """Lytics wants the raw API key in Authorization (no Bearer prefix)."""
    return {"Authorization": api_key, **({"X-Admin-Key": admin_key} if admin_key else {})}


def lytics_session(base_url: str, api_key: str, *, admin_key: str | None = None, pool_size: int = 10,
                   timeouts: Timeouts | None = None) -> ServiceSession:
    """Session for (mock) Lytics, for the scenario engine, the load driver and tests."""
    return ServiceSession(base_url, pool_size=pool_size, timeouts=timeouts, headers=_lytics_headers(api_key, admin_key))


def runner_lytics_session(base_url: str, api_key: str, *, admin_key: str | None = None,
                          timeouts: Timeouts | None = None) -> PoolSession:
    """The runner's Lytics client (feed, write-back, job plane): on its hot path, so the lean PoolSession."""
    return PoolSession(base_url, timeouts=timeouts, headers=_lytics_headers(api_key, admin_key), user_agent=USER_AGENT)


def webhook_session(*, timeouts: Timeouts | None = None) -> PoolSession:
    """Session for the enrichment webhook (Ansira): a keep-alive connection per worker thread."""
    return PoolSession("", timeouts=timeouts or Timeouts(connect=3.0, read=30.0), user_agent=USER_AGENT)


def ansira_session(base_url: str, *, timeouts: Timeouts | None = None) -> ServiceSession:
    """Session for a (real or mock) Ansira service root: contract probes and the recording proxy.

    Few calls, one at a time: a small pool. Callers pass allow_redirects=False, so a redirect is an answer.
    """
    return ServiceSession(base_url, pool_size=4, timeouts=timeouts or Timeouts(connect=5.0, read=30.0),
                          headers={"User-Agent": USER_AGENT})
