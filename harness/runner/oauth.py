"""OAuth 2.0 client-credentials tokens shared by all workers of a job, fetched once and refreshed in time.

oauthlib builds the request body and parses/validates the token response (RFC 6749 §4.4, §5.1-5.2); we send it
over our own pooled session so loopback mocks need no OAUTHLIB_INSECURE_TRANSPORT switch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error

from harness.errors import AuthError, TransportError
from harness.http import HttpSession
from harness.redact import REDACTOR
from harness.runner.delivery import require_secure_url

log = logging.getLogger("harness.runner.oauth")


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # monotonic seconds
    fetched_at: float


class TokenManager:
    """Single-flight token cache: concurrent callers share one fetch; never a token per call."""

    def __init__(self, session: HttpSession, token_url: str, client_id: str, client_secret: str, *,
                 scopes: list[str] | None = None, clock: Callable[[], float] = time.monotonic,
                 refresh_margin_s: float = 60.0) -> None:
        self._session = session
        self._token_url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self._scopes = scopes or None
        self._clock = clock
        self._margin = refresh_margin_s
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.fetches = 0
        REDACTOR.add(client_secret)

    def __repr__(self) -> str:  # never show the secret or the token
        return f"TokenManager(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def get(self) -> str:
        """A valid token, fetching only when there is none or it is about to expire."""
        tok = self._token
        if tok is not None and self._clock() < tok.expires_at:
            return tok.value
        with self._lock:
            tok = self._token
            if tok is not None and self._clock() < tok.expires_at:
                return tok.value
            self._token = self._fetch()
            return self._token.value

    def invalidate(self, value: str) -> None:
        """Forget `value` after the API refused it (401), unless another worker already replaced it."""
        with self._lock:
            if self._token is not None and self._token.value == value:
                self._token = None

    def _fetch(self) -> Token:
        client = BackendApplicationClient(client_id=self._client_id)
        body = client.prepare_request_body(scope=self._scopes)
        self.fetches += 1
        started = self._clock()
        try:
            resp = self._session.post(
                self._token_url, data=body, auth=(self._client_id, self._secret),
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise TransportError(f"token endpoint unreachable: {REDACTOR(exc)}") from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise AuthError(f"token endpoint answered HTTP {resp.status_code}", status=resp.status_code)
        try:
            data = client.parse_request_body_response(resp.text, scope=self._scopes)
        except OAuth2Error as exc:
            raise AuthError(f"token endpoint refused the client: {exc.error} (HTTP {resp.status_code})",
                            status=resp.status_code) from None
        except ValueError as exc:
            raise AuthError(f"token endpoint sent an unreadable body (HTTP {resp.status_code}): {exc}",
                            status=resp.status_code) from None
        value = data.get("access_token")
        if not isinstance(value, str) or not value:
            raise AuthError("token response has no access_token", status=resp.status_code)
        REDACTOR.add(value)
        expires_in = data.get("expires_in")
        ttl = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 3600.0
        margin = min(self._margin, ttl * 0.1)
        log.info("fetched a token for client %s (expires in %ss)", self._client_id, int(ttl))
        return Token(value=value, expires_at=started + ttl - margin, fetched_at=started)


def token_manager_for(auth_config: dict[str, Any], session: HttpSession, *, allow_http_hosts: tuple[str, ...] = (),
                      clock: Callable[[], float] = time.monotonic) -> TokenManager | None:
    """The token manager a job's auth config asks for; None without a `token_url` (no OAuth)."""
    if not auth_config.get("token_url"):
        return None
    scopes = auth_config.get("scopes") or None
    if isinstance(scopes, str):
        scopes = [s for s in scopes.replace(",", " ").split() if s]
    token_url = require_secure_url(str(auth_config["token_url"]), "token_url", allow_http_hosts)
    return TokenManager(session, token_url, auth_config["client_id"], auth_config["client_secret"], scopes=scopes,
                        clock=clock)
