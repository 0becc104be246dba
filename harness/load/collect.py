"""Read back what the mocks recorded: field change times, audience events and members, Ansira's journal."""

from __future__ import annotations

from typing import Any

from harness.errors import RemoteError
from harness.http import ServiceSession
from harness.scenario.state import read_journal


def _data(resp: Any, what: str) -> Any:
    if resp.status_code >= 400:
        raise RemoteError(f"{what}: HTTP {resp.status_code}: {resp.text[:200]}", status=resp.status_code)
    return resp.json()


def field_times(lytics: ServiceSession, fields: list[str], *, page: int = 50_000) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    start = ""
    while True:
        body = _data(lytics.get("/__admin/field-times", params={"fields": ",".join(fields), "limit": str(page),
                                                                 "start": start}), "field times")
        rows.extend(body.get("data") or [])
        start = body.get("_next") or ""
        if not start:
            return rows


def enter_events(lytics: ServiceSession, segment: str, after: int, *, page: int = 20_000) -> list[dict[str, Any]]:
    """Enter events of one audience after a feed seq, without the profile snapshots (kept small)."""
    out: list[dict[str, Any]] = []
    while True:
        body = _data(lytics.get("/__admin/audience-events", params={"segment": segment, "after": str(after),
                                                                     "limit": str(page)}), "audience events")
        events = body.get("data") or []
        out.extend({"seq": e["seq"], "profile_id": e.get("profile_id"), "event": e.get("event"),
                    "cause_ts": e.get("cause_ts"), "ts": e.get("ts")} for e in events if e.get("event") == "enter")
        if len(events) < page:
            return out
        after = int(events[-1]["seq"])


def members(lytics: ServiceSession, segment_id: str, *, page: int = 1000) -> list[str]:
    ids: list[str] = []
    start = ""
    while True:
        params: dict[str, Any] = {"limit": page}
        if start:
            params["start"] = start
        body = _data(lytics.get(f"/api/segment/{segment_id}/scan", params=params), "audience scan")
        batch = body.get("data") or []
        ids.extend(str(p.get("_id")) for p in batch)
        start = body.get("_next") or ""
        if not start or not batch:
            return ids


def audience_size(lytics: ServiceSession, segment_id: str) -> int:
    body = _data(lytics.get(f"/api/segment/{segment_id}/scan", params={"limit": 1}), "audience size")
    return int(body.get("total") or 0)


def jobs(lytics: ServiceSession) -> list[dict[str, Any]]:
    return _data(lytics.get("/v2/job"), "jobs").get("data") or []


def last_seq(lytics: ServiceSession) -> int:
    body = _data(lytics.get("/__admin/feed", params={"after": 10**15, "wait": 0, "limit": 1}), "feed")
    return int(body["data"]["last_seq"])


def journal(ansira: ServiceSession) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    summary = _data(ansira.get("/__admin/journal/summary"), "Ansira journal summary")
    return read_journal(ansira, page=50_000), summary.get("data", summary)
