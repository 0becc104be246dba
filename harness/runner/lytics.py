"""The runner's view of (mock) Lytics: the internal feed and job plane, segment scans, and stream write-back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import requests

from harness.errors import RemoteError, TransportError
from harness.http import Timeouts, runner_lytics_session
from harness.redact import REDACTOR
from harness.runner.wire import FeedEvent, JobReport, Runtime


class FeedGone(RemoteError):
    """The feed no longer holds events after our cursor (410): resynchronise from the audiences."""

    def __init__(self, last_seq: int) -> None:
        super().__init__("feed cursor too old", status=410)
        self.last_seq = last_seq


class LeaseRefused(RemoteError):
    """Another runner holds the job's lease (409): this one must not work the job."""

    def __init__(self, job_id: str, holder: str, expires_in_s: float) -> None:
        super().__init__(f"job {job_id} is leased to runner {holder!r} for another {expires_in_s:.1f}s", status=409)
        self.holder = holder
        self.expires_in_s = expires_in_s


class FeedPage(NamedTuple):
    events: list[FeedEvent]
    last_seq: int
    instance: str | None  # mock Lytics' state id: a new one means it restarted and forgot everything


INSTANCE_HEADER = "X-Mock-Lytics-Instance"


class LyticsClient:
    def __init__(self, base_url: str, api_key: str, *, admin_key: str | None = None) -> None:
        REDACTOR.add(api_key, admin_key)
        self.base_url = base_url.rstrip("/")
        self.session = runner_lytics_session(base_url, api_key, admin_key=admin_key,
                                             timeouts=Timeouts(connect=3.0, read=40.0))
        self.instance: str | None = None  # the instance id of the newest answer (None: not a mock that says)

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self.session.request(method, path, **kwargs)
        except requests.RequestException as exc:
            raise TransportError(f"Lytics {method} {path}: {REDACTOR(exc)}") from None
        self.instance = resp.headers.get(INSTANCE_HEADER) or self.instance
        if resp.status_code == 409 and path.endswith("/lease"):
            data = resp.json().get("data") or {}
            raise LeaseRefused(path.split("/")[3], str(data.get("holder")), float(data.get("expires_in_s") or 0))
        if resp.status_code == 410 and path.startswith("/__admin/feed"):
            raise FeedGone(int(resp.json().get("data", {}).get("last_seq", 0)))
        if resp.status_code >= 400:
            raise RemoteError(f"Lytics {method} {path} answered HTTP {resp.status_code}: {REDACTOR(resp.text[:300])}",
                              status=resp.status_code)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # -- internal plane -------------------------------------------------------------------------------------
    def feed(self, after: int, *, wait: float = 0.0, limit: int = 1000) -> FeedPage:
        body = self._call("GET", "/__admin/feed", params={"after": after, "wait": wait, "limit": limit})
        data = body["data"]
        return FeedPage(data["events"], int(data["last_seq"]), data.get("instance"))

    def runtime(self, job_id: str) -> Runtime:
        runtime: Runtime = self._call("GET", f"/__admin/jobs/{job_id}/runtime")["data"]
        return runtime

    def report(self, job_id: str, payload: JobReport) -> None:
        self._call("POST", f"/__admin/jobs/{job_id}/report", json=payload)

    def take_lease(self, job_id: str, holder: str, ttl_s: float) -> None:
        """Take or renew the job's lease; LeaseRefused while another runner holds it."""
        self._call("POST", f"/__admin/jobs/{job_id}/lease", json={"holder": holder, "ttl_s": ttl_s})

    def release_lease(self, job_id: str, holder: str) -> None:
        self._call("POST", f"/__admin/jobs/{job_id}/lease/release", json={"holder": holder})

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

    def collect(self, stream: str, events: Sequence[dict[str, Any]]) -> str | None:
        """Post events; returns the instance id of the mock that took them (None if it does not say)."""
        try:
            resp = self.session.request("POST", f"/collect/json/{stream}", json=list(events))
        except requests.RequestException as exc:
            raise TransportError(f"Lytics POST /collect/json/{stream}: {REDACTOR(exc)}") from None
        landed_on = resp.headers.get(INSTANCE_HEADER)
        self.instance = landed_on or self.instance
        if resp.status_code >= 400:
            raise RemoteError(f"Lytics POST /collect/json/{stream} answered HTTP {resp.status_code}: "
                              f"{REDACTOR(resp.text[:300])}", status=resp.status_code)
        return landed_on
