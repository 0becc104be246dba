"""What the runner reads from (mock) Lytics' internal plane and sends back, typed.

mock Lytics declares the same shapes on its side of the HTTP boundary (mock_lytics/wire.py: the walls keep the
runner from importing a mock); tests/architecture/test_wire.py keeps the two declarations identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict


class FeedEvent(TypedDict):
    """One feed event: `kind` "segment" (a profile entered or left an audience) or "job" (a job changed)."""

    seq: int
    kind: str
    ts: NotRequired[float]  # segment: when the audience changed
    cause_ts: NotRequired[float]  # segment: when the collect request that caused it arrived
    segment_id: NotRequired[str]
    slug: NotRequired[str]
    event: NotRequired[str]  # segment: "enter" or "exit"
    profile_id: NotRequired[str]
    identity: NotRequired[dict[str, Any]]  # segment: the profile's identifier fields
    profile: NotRequired[dict[str, Any]]  # segment: a snapshot of the profile
    job_id: NotRequired[str]  # job
    action: NotRequired[str]  # job: created, updated, paused, resumed, killed, bounced, deleted


class FeedPage(TypedDict):
    """`GET /__admin/feed` (inside the envelope's `data`)."""

    events: list[FeedEvent]
    last_seq: int
    oldest_seq: int
    instance: str


class Runtime(TypedDict):
    """`GET /__admin/jobs/{id}/runtime`: everything a runner needs for a job, secrets included."""

    job: dict[str, Any]
    auths: list[dict[str, Any]]
    template: dict[str, Any] | None
    instance: str


class JobReport(TypedDict, total=False):
    """`POST /__admin/jobs/{id}/report`: the runner's status, absolute counters, new log lines, feed ack."""

    status: str | None
    message: str | None
    counters: Mapping[str, float]
    logs: list[dict[str, Any]]
    ack_seq: int
