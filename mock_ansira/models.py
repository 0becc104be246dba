"""AnsiraBackend: all mutable state of the mock behind one lock, with no Flask imports.

Routes call one backend method per step. The lock is held only for bookkeeping, never while a request
sleeps (latency, hangs), so a slow request never stalls the others.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from mock_ansira.behaviour import Behaviour, Client
from mock_ansira.faults import FaultSchedule, LatencySchedule, Selected
from mock_ansira.journal import Journal, JournalEntry, JournalEntryWithBodies
from mock_ansira.ratelimit import Decision, Limiter, make_limiter
from mock_ansira.tokens import TokenInfo, TokenStore
from mock_ansira.users import UserStore, fake_emails

Clock = Callable[[], float]
Sleep = Callable[[float], None]
LimitScope = Literal["api", "token"]


class AnsiraBackend:
    """State and rules of one mock instance; `reset()` returns it to how `create_app` built it."""

    def __init__(
        self,
        behaviour: Behaviour,
        *,
        seed: int = 0,
        clock: Clock = time.time,
        sleep: Sleep | None = None,
        journal_capacity: int = 100_000,
        journal_bodies: int = 1000,
    ) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self.generation = 0
        self.clock = clock
        self._sleep = sleep
        self._initial = behaviour
        self._config_seed = seed
        self.journal = Journal(journal_capacity, journal_bodies)
        self.started_at = clock()
        self._install(behaviour, fresh=True)

    # --- behaviour -------------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self.behaviour.seed if self.behaviour.seed is not None else self._config_seed

    def _install(self, behaviour: Behaviour, *, fresh: bool) -> None:
        """Apply a behaviour; `fresh` also forgets users, tokens and the journal. Caller holds the lock."""
        now = self.clock()
        self.behaviour = behaviour
        self.loaded_at = now
        seed = self.seed
        self.faults = FaultSchedule(list(behaviour.faults), seed, self.started_at, now)
        self.latency = LatencySchedule(list(behaviour.latency), seed)
        self._limiters: dict[tuple[LimitScope, str], Limiter] = {}
        if fresh:
            self.users = UserStore(seed, behaviour.user_id_start)
            self.tokens = TokenStore()
            self.journal.reset()
        self.users.seed = seed
        self.users.case_sensitive = behaviour.emails_case_sensitive
        known = behaviour.known_users
        self.users.seed_known([*fake_emails(seed, known.count), *known.emails])

    def reset(self) -> None:
        """Back to the start-up behaviour with no tokens, no journal and only the known users."""
        with self._lock:
            self.started_at = self.clock()
            self._install(self._initial, fresh=True)
            self.generation += 1
            woken, self._wake = self._wake, threading.Event()
        woken.set()  # requests hanging in a timeout answer now; their journal entries are discarded

    def replace_behaviour(self, behaviour: Behaviour) -> None:
        """Swap rules (fault counters and rate limits restart); users, tokens and journal stay."""
        with self._lock:
            self._install(behaviour, fresh=False)

    # --- clients and tokens ----------------------------------------------------------------------
    def authenticate(self, client_id: str, secret: str) -> Client | None:
        client = self.behaviour.client(client_id)
        if client is None:
            return None
        expected = client.client_secret.get_secret_value().encode()
        return client if hmac.compare_digest(expected, secret.encode()) else None

    def issue_token(self, client: Client, scopes: tuple[str, ...]) -> tuple[str, int]:
        with self._lock:
            token = self.tokens.issue(client.client_id, scopes, client.token_ttl_s, self.clock())
            self.journal.tokens_issued += 1
        return token, client.token_ttl_s

    def check_token(self, token: str) -> tuple[str, TokenInfo | None]:
        """(state, info) where state is live, unknown, expired, revoked, or `no_client` if it was removed."""
        with self._lock:
            state, info = self.tokens.lookup(token, self.clock())
        if info is not None and state == "live" and self.behaviour.client(info.client_id) is None:
            return "no_client", info
        return state, info

    def revoke_tokens(self, client_id: str | None = None) -> int:
        with self._lock:
            return self.tokens.revoke(self.clock(), client_id)

    def expire_tokens(self, client_id: str | None = None, ttl_s: float | None = None) -> int:
        with self._lock:
            return self.tokens.expire(self.clock(), client_id, ttl_s)

    # --- rules: rate limits, faults, latency -----------------------------------------------------
    def rate_limit(self, scope: LimitScope, client: Client) -> Decision | None:
        spec = client.rate_limit if scope == "api" else client.token_rate_limit
        if spec is None:
            return None
        with self._lock:
            now = self.clock()
            key = (scope, client.client_id)
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = make_limiter(spec, now)
            return limiter.acquire(now)

    def pick_fault(self, operation: str, client_id: str | None) -> Selected | None:
        with self._lock:
            return self.faults.select(operation, client_id, self.clock())

    def next_delay_s(self, operation: str) -> float:
        with self._lock:
            return self.latency.next_delay_ms(operation) / 1000.0

    def sleep(self, seconds: float) -> None:
        """Sleep in the calling request thread (never under the lock); `close()` cuts it short."""
        if seconds <= 0:
            return
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self._wake.wait(seconds)  # the event of this generation: reset() or close() cut it short

    def close(self) -> None:
        """Release requests that are hanging in a simulated timeout (used at server shutdown)."""
        self._wake.set()

    # --- users -----------------------------------------------------------------------------------
    def upsert_user(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        with self._lock:
            return self.users.upsert(body, self.behaviour.source_codes, self.clock())

    def find_users(self, email: str) -> list[dict[str, Any]]:
        with self._lock:
            user = self.users.get(email)
        return [user] if user is not None else []

    def all_users(self) -> list[dict[str, Any]]:
        with self._lock:
            return self.users.all()

    def seed_users(self, records: Iterable[Mapping[str, Any]], generate: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            now = self.clock()
            out = [self.users.put(r, self.behaviour.source_codes, now) for r in records]
            return out + self.users.generate(generate)

    # --- journal ---------------------------------------------------------------------------------
    def record(self, entry: dict[str, Any], generation: int) -> JournalEntry | None:
        """Journal a finished request, unless it was received before the last reset."""
        with self._lock:
            if generation != self.generation:
                return None
            return self.journal.append(entry)

    def journal_entries(self, after: int = 0, limit: int | None = None, *, bodies: bool = False
                        ) -> tuple[list[JournalEntryWithBodies], int]:
        with self._lock:
            return self.journal.entries(after, limit, bodies=bodies), self.journal.dropped

    def journal_summary(self) -> dict[str, Any]:
        with self._lock:
            return self.journal.summary()

    def clear_journal(self) -> None:
        with self._lock:
            self.journal.reset()

    def health(self) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            return {
                "status": "ok",
                "users": len(self.users),
                "live_tokens": self.tokens.live_count(now),
                "journal_entries": len(self.journal),
                "requests": self.journal.last_seq,
                "uptime_s": round(max(0.0, now - self.started_at), 3),
                "clients": [c.client_id for c in self.behaviour.clients],
            }
