"""The runner's view of (mock) Lytics: the internal feed and job plane, segment scans, and stream write-back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import requests

from harness.errors import RemoteError, TransportError
from harness.http import Timeouts, runner_lytics_session
from harness.redact import REDACTOR


class FeedGone(RemoteError):
    """The feed no longer holds events after our cursor (410): resynchronise from the audiences."""

    def __init__(self, last_seq: int) -> None:
        super().__init__("feed cursor too old", status=410)
        self.last_seq = last_seq


class LyticsClient:
    def __init__(self, base_url: str, api_key: str, *, admin_key: str | None = None) -> None:
        REDACTOR.add(api_key, admin_key)
        self.base_url = base_url.rstrip("/")
        self.session = runner_lytics_session(base_url, api_key, admin_key=admin_key,
                                             timeouts=Timeouts(connect=3.0, read=40.0))

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self.session.request(method, path, **kwargs)
        except requests.RequestException as exc:
            raise TransportError(f"Lytics {method} {path}: {REDACTOR(exc)}") from None
        if resp.status_code == 410 and path.startswith("/__admin/feed"):
            raise FeedGone(int(resp.json().get("data", {}).get("last_seq", 0)))
        if resp.status_code >= 400:
            raise RemoteError(f"Lytics {method} {path} answered HTTP {resp.status_code}: {REDACTOR(resp.text[:300])}",
                              status=resp.status_code)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # -- internal plane -------------------------------------------------------------------------------------
    def feed(self, after: int, *, wait: float = 0.0, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        body = self._call("GET", "/__admin/feed", params={"after": after, "wait": wait, "limit": limit})
        data = body["data"]
        return data["events"], int(data["last_seq"])

    def runtime(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/__admin/jobs/{job_id}/runtime")["data"]

    def report(self, job_id: str, payload: dict[str, Any]) -> None:
        self._call("POST", f"/__admin/jobs/{job_id}/report", json=payload)

    # -- public API -----------------------------------------------------------------------------------------
    def list_jobs(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v2/job")["data"] or []

    def identifier_fields(self) -> list[str]:
        fields = self._call("GET", "/v2/schema/user/field")["data"] or []
        return [f["id"] for f in fields if f.get("is_identifier")]

    def scan(self, segment_id: str, *, page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
        """Yield the audience's members page by page; only one page is held at a time."""
        start: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if start:
                params["start"] = start
            body = self._call("GET", f"/api/segment/{segment_id}/scan", params=params)
            page = body.get("data") or []
            if page:
                yield page
            start = body.get("_next")
            if not start or not page:
                return

    def collect(self, stream: str, events: Sequence[dict[str, Any]]) -> None:
        self._call("POST", f"/collect/json/{stream}", json=list(events))
