"""Opaque bearer tokens with expiry and revocation.

Tokens are stored under their SHA-256, so not even a dump of the store holds a usable credential.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

TokenState = Literal["live", "unknown", "expired", "revoked"]
_PURGE_AT = 50_000


@dataclass
class TokenInfo:
    """What the store knows about one token (never the token itself)."""

    client_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    revoked: bool = False

    def state(self, now: float) -> TokenState:
        if self.revoked:
            return "revoked"
        return "expired" if now >= self.expires_at else "live"


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Issued tokens; not locked itself, the backend holds its lock around every call."""

    def __init__(self) -> None:
        self._tokens: dict[str, TokenInfo] = {}

    def __len__(self) -> int:
        return len(self._tokens)

    def issue(self, client_id: str, scopes: tuple[str, ...], ttl_s: float, now: float) -> str:
        if len(self._tokens) >= _PURGE_AT:
            self._purge(now)
        token = secrets.token_urlsafe(32)
        self._tokens[_key(token)] = TokenInfo(client_id, scopes, now, now + ttl_s)
        return token

    def lookup(self, token: str, now: float) -> tuple[TokenState, TokenInfo | None]:
        info = self._tokens.get(_key(token))
        if info is None:
            return "unknown", None
        return info.state(now), info

    def live_count(self, now: float) -> int:
        return sum(1 for info in self._tokens.values() if info.state(now) == "live")

    def revoke(self, now: float, client_id: str | None = None) -> int:
        """Revoke live tokens (of one client, or all); returns how many."""
        count = 0
        for info in self._tokens.values():
            if info.state(now) == "live" and client_id in (None, info.client_id):
                info.revoked = True
                count += 1
        return count

    def expire(self, now: float, client_id: str | None = None, ttl_s: float | None = None) -> int:
        """Expire live tokens now, or cut their remaining life to at most `ttl_s`; returns how many."""
        count = 0
        deadline = now if ttl_s is None else now + ttl_s
        for info in self._tokens.values():
            mine = client_id in (None, info.client_id)
            if mine and info.state(now) == "live" and info.expires_at > deadline:
                info.expires_at = deadline
                count += 1
        return count

    def _purge(self, now: float) -> None:
        """Forget tokens dead for over an hour, so a long load run does not grow memory without bound."""
        dead = [k for k, v in self._tokens.items() if v.state(now) != "live" and now - v.expires_at > 3600]
        for key in dead:
            del self._tokens[key]
