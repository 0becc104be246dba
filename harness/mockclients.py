"""One typed client per mock control plane: the only harness code that knows `/__admin/` paths, envelopes and paging.

The scenario engine, its read-back of a finished run, the load test and the live console all read the mocks back;
each used to page and unwrap by hand (with hedges for shapes the mocks never send). Mock Lytics answers in
Lytics' envelope (`{"data": ..., "_next": ..., "total": ...}`); mock Ansira's admin API is this project's own and
answers bare JSON. Every error answer is a RemoteError naming what was asked, the status and the body's start.
The runner keeps its own Lytics client (harness/runner/lytics.py): it is what Lytics does, not a reader of mocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from harness.errors import RemoteError, TransportError
from harness.http import ServiceSession
from harness.redact import REDACTOR

HEALTH = "/__admin/health"  # both mocks' readiness path: servers wait on it before anyone calls them
RESET = "/__admin/reset"  # both mocks: forget every user, token, profile and job (settings stay)
_END = 10**15  # a feed cursor past any seq: the feed answers at once with no events and its last_seq


class _AdminClient:
    service = "a mock"

    def __init__(self, session: ServiceSession) -> None:
        self.session = session

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        try:
            resp = self.session.request(method, path, **kwargs)
        except requests.RequestException as exc:
            raise TransportError(REDACTOR(f"{self.service} {what}: no answer: {type(exc).__name__}: {exc}")) from None
        if resp.status_code >= 400:
            raise RemoteError(REDACTOR(f"{self.service} {what}: HTTP {resp.status_code}: {resp.text[:300]}"),
                              status=resp.status_code)
        try:
            return resp.json()
        except ValueError:
            raise RemoteError(f"{self.service} {what}: the answer is not JSON: {REDACTOR(resp.text[:200])}",
                              status=resp.status_code) from None


class LyticsAdmin(_AdminClient):
    """Mock Lytics, read back: profiles, field times, feed position, audience events and members, jobs, faults."""

    service = "mock Lytics"

    def last_seq(self) -> int:
        """The newest feed event's seq (0 before any)."""
        body = self._call("GET", "/__admin/feed", "feed", params={"after": _END, "wait": 0, "limit": 1})
        return int(body["data"]["last_seq"])

    def profiles(self, *, page: int = 1000) -> Iterator[dict[str, Any]]:
        """Every profile in `_id` order."""
        start = ""
        while True:
            params: dict[str, Any] = {"limit": page, **({"start": start} if start else {})}
            body = self._call("GET", "/__admin/profiles", "profiles", params=params)
            batch = body.get("data") or []
            yield from batch
            start = body.get("_next") or ""
            if not start or not batch:
                return

    def field_times(self, fields: list[str], *, page: int = 50_000) -> list[dict[str, Any]]:
        """`first_seen_ts` and the change time of each of `fields`, per profile (one row per profile)."""
        rows: list[dict[str, Any]] = []
        start = ""
        while True:
            params = {"fields": ",".join(fields), "limit": str(page), "start": start}
            body = self._call("GET", "/__admin/field-times", "field times", params=params)
            rows.extend(body.get("data") or [])
            start = body.get("_next") or ""
            if not start:
                return rows

    def enter_events(self, segment: str, after: int, *, page: int = 20_000) -> list[dict[str, Any]]:
        """Enter events of one audience after a feed seq, without the profile snapshots (kept small)."""
        out: list[dict[str, Any]] = []
        while True:
            params = {"segment": segment, "after": str(after), "limit": str(page)}
            events = self._call("GET", "/__admin/audience-events", "audience events", params=params).get("data") or []
            out.extend({"seq": e["seq"], "profile_id": e.get("profile_id"), "event": e.get("event"),
                        "cause_ts": e.get("cause_ts"), "ts": e.get("ts")} for e in events if e.get("event") == "enter")
            if len(events) < page:
                return out
            after = int(events[-1]["seq"])

    def members(self, segment_id: str, *, page: int = 1000) -> list[str]:
        """The `_id` of every member of an audience (Lytics' scan API)."""
        ids: list[str] = []
        start = ""
        while True:
            params: dict[str, Any] = {"limit": page, **({"start": start} if start else {})}
            body = self._call("GET", f"/api/segment/{segment_id}/scan", "audience scan", params=params)
            batch = body.get("data") or []
            ids.extend(str(p.get("_id")) for p in batch)
            start = body.get("_next") or ""
            if not start or not batch:
                return ids

    def audience_size(self, segment_id: str) -> int:
        return int(self._call("GET", f"/api/segment/{segment_id}/scan", "audience size",
                              params={"limit": 1}).get("total") or 0)

    def jobs(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v2/job", "jobs").get("data") or [])

    def set_faults(self, faults: dict[str, Any]) -> Any:
        """Install (or clear) the collect fault rule: `{"collect": {...}}`."""
        return self._call("PUT", "/__admin/faults", "faults", json=faults).get("data")


class AnsiraAdmin(_AdminClient):
    """Mock Ansira's control plane: behaviour, tokens, journal, stored users."""

    service = "mock Ansira"

    def behaviour(self) -> dict[str, Any]:
        """The behaviour document, secrets masked."""
        return dict(self._call("GET", "/__admin/behaviour", "behaviour"))

    def patch_behaviour(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Merge `patch` into the behaviour (validated as a whole; refused with the problems otherwise)."""
        return dict(self._call("PATCH", "/__admin/behaviour", "behaviour patch", json=patch))

    def put_behaviour(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Replace the behaviour (masked secrets in `doc` keep their current values)."""
        return dict(self._call("PUT", "/__admin/behaviour", "behaviour", json=doc))

    def revoke_tokens(self, client_id: str | None = None) -> int:
        body = {} if client_id is None else {"client_id": client_id}
        return int(self._call("POST", "/__admin/tokens/revoke", "token revocation", json=body)["revoked"])

    def journal_page(self, after: int, limit: int, *, bodies: bool = False) -> list[dict[str, Any]]:
        """Entries with seq > `after`, oldest first, at most `limit`."""
        params: dict[str, Any] = {"after": after, "limit": limit, **({"bodies": "true"} if bodies else {})}
        return list(self._call("GET", "/__admin/journal", "journal", params=params).get("entries") or [])

    def journal(self, *, after: int = 0, page: int = 5000) -> list[dict[str, Any]]:
        """Every entry after `after` (without bodies), read page by page."""
        entries: list[dict[str, Any]] = []
        while True:
            batch = self.journal_page(after, page)
            entries.extend(batch)
            if len(batch) < page:
                return entries
            after = batch[-1]["seq"]

    def journal_summary(self) -> dict[str, Any]:
        return dict(self._call("GET", "/__admin/journal/summary", "journal summary"))

    def users(self) -> list[dict[str, Any]]:
        """Every user mock Ansira stored."""
        return list(self._call("GET", "/__admin/users", "users"))

    def reset(self) -> None:
        self._call("POST", RESET, "reset")
