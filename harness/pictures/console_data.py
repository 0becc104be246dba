"""What the live console shows, read from the running parts over their HTTP APIs (plus the runner, in-process).

No Flask here: a plain object the console's routes call. It talks HTTP to mock Lytics and mock Ansira, so it works
the same whether the parts share this process (`harness serve`) or not (`harness mock`). It keeps the Ansira
journal it has read so far (bounded) to draw the timelines without re-reading everything on every poll.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from harness.errors import RemoteError
from harness.http import ServiceSession, lytics_session
from harness.mockclients import AnsiraAdmin
from harness.pictures import timeline
from harness.redact import REDACTOR

JOURNAL_KEEP = 200_000  # journal entries kept for the timelines (the report reads them all at the end instead)
PAGE = 20_000


@dataclass
class Sources:
    """Where the console reads from; any part may be missing (`harness mock lytics` has no Ansira)."""

    lytics_url: str | None = None
    lytics_api_key: str | None = None
    ansira_url: str | None = None
    admin_key: str | None = None
    outcomes: Callable[[], list[dict[str, Any]]] | None = None  # the runner's outcomes, when it runs in-process


class ConsoleData:
    def __init__(self, sources: Sources, *, journal_rows: int = 50) -> None:
        self.sources = sources
        self.journal_rows = journal_rows
        self._lock = threading.Lock()
        self._journal: deque[dict[str, Any]] = deque(maxlen=JOURNAL_KEEP)
        self._after = 0
        self._timeline: dict[str, Any] = {"empty": True}
        self._timeline_at = 0.0
        self._timeline_cost = 0.0
        headers = {"X-Admin-Key": sources.admin_key} if sources.admin_key else {}
        self.ansira = ServiceSession(sources.ansira_url, headers=headers) if sources.ansira_url else None
        self.lytics = (lytics_session(sources.lytics_url, sources.lytics_api_key or "", admin_key=sources.admin_key)
                       if sources.lytics_url else None)

    def close(self) -> None:
        for s in (self.ansira, self.lytics):
            if s is not None:
                s.close()

    # -- Lytics -----------------------------------------------------------------------------------------------
    def jobs(self) -> list[dict[str, Any]]:
        if self.lytics is None:
            return []
        data = self.lytics.get("/v2/job").json().get("data") or []
        return [{"id": j.get("id"), "name": j.get("name"), "workflow": j.get("workflow"), "status": j.get("status"),
                 "message": REDACTOR(j.get("message") or ""), "counters": j.get("counters") or {}} for j in data]

    def audiences(self) -> list[dict[str, Any]]:
        if self.lytics is None:
            return []
        out = []
        for seg in self.lytics.get("/api/segment").json().get("data") or []:
            scan = self.lytics.get(f"/api/segment/{seg['id']}/scan", params={"limit": 1}).json()
            out.append({"id": seg["id"], "name": seg.get("name"), "slug": seg.get("slug_name"),
                        "size": int(scan.get("total") or 0)})
        return out

    def profile(self, email: str) -> dict[str, Any]:
        """The profile with this email, as Lytics' entity API answers it (status and body)."""
        if self.lytics is None:
            return {"status": 503, "body": {"message": "no mock Lytics behind this console"}}
        resp = self.lytics.get(f"/api/entity/user/email/{quote(email, safe='')}")
        try:
            body: Any = resp.json()
        except ValueError:
            body = {"message": resp.text[:500]}
        return {"status": resp.status_code, "body": body}

    # -- Ansira -----------------------------------------------------------------------------------------------
    def _read_journal(self) -> None:
        assert self.ansira is not None
        while True:
            batch = AnsiraAdmin(self.ansira).journal_page(self._after, PAGE)
            if batch and batch[0]["seq"] <= self._after:  # the journal was reset: start again
                self._journal.clear()
            self._journal.extend(batch)
            if batch:
                self._after = batch[-1]["seq"]
            if len(batch) < PAGE:
                return

    def journal_tail(self) -> list[dict[str, Any]]:
        """The newest entries with their bodies (mock Ansira masks credentials; the redactor masks known secrets)."""
        if self.ansira is None:
            return []
        after = max(0, self._after - self.journal_rows)
        rows = AnsiraAdmin(self.ansira).journal_page(after, self.journal_rows, bodies=True)
        for r in rows:
            for key in ("request_body", "response_body"):
                if r.get(key):
                    r[key] = REDACTOR(r[key])
        return list(reversed(rows))

    def rate_limit(self) -> float | None:
        if self.ansira is None:
            return None
        return timeline.rate_limit_of(AnsiraAdmin(self.ansira).behaviour())

    def _timelines(self, limit: float | None) -> dict[str, Any]:
        """Redrawn every poll while that is cheap; a big run (the runner shares this process and its GIL) is
        redrawn at most every ten times what the last drawing cost, so the console never takes a tenth of it."""
        now = time.monotonic()
        if now - self._timeline_at >= max(0.0, 10 * self._timeline_cost):
            outcomes = self.sources.outcomes() if self.sources.outcomes else []
            self._timeline = timeline.build(list(self._journal), outcomes, rate_limit=limit)
            self._timeline_at = time.monotonic()
            self._timeline_cost = self._timeline_at - now
        return self._timeline

    # -- all of it --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        with self._lock:  # two browser tabs polling at once share one journal cursor
            problems: list[str] = []
            out: dict[str, Any] = {"jobs": [], "audiences": [], "journal": [], "timeline": {"empty": True}}
            try:
                out["jobs"], out["audiences"] = self.jobs(), self.audiences()
            except (requests.RequestException, ValueError) as exc:
                problems.append(f"mock Lytics: {REDACTOR(exc)}")
            limit = None
            try:
                if self.ansira is not None:
                    self._read_journal()
                    out["journal"] = self.journal_tail()
                    limit = self.rate_limit()
            except RemoteError as exc:  # the client's message names mock Ansira
                problems.append(REDACTOR(exc))
            out["timeline"] = self._timelines(limit)
            out["problems"] = problems
            return out
