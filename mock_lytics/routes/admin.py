"""The internal plane the runner and the harness use (`/__admin/*`).

Verbs follow the control-plane rule both mocks share (docs/architecture.md, kept by
tests/architecture/test_control_plane.py): GET reads, PUT replaces a document, POST performs the action its path
names, nothing else changes state.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from mock_lytics.errors import BadRequest, Gone
from mock_lytics.feed import MAX_WAIT_S, StaleCursor
from mock_lytics.http import backend, envelope, faults, float_arg, int_arg, json_body, received
from mock_lytics.wire import FeedPage

bp = Blueprint("admin", __name__, url_prefix="/__admin")


@bp.get("/health")
def health() -> Response:
    """Liveness; needs no key."""
    body: dict[str, Any] = {"ok": True, "instance": backend().instance}
    if current_app.config.get("PUBLIC_URL"):
        body["url"] = current_app.config["PUBLIC_URL"]
    return envelope(body)


@bp.get("/feed")
def read_feed() -> Response:
    """Audience and job events after `after`; long-polls up to `wait` s; 410 when the cursor was evicted."""
    after = int_arg("after", 0, 0, 2**62)
    wait = float_arg("wait", 0.0, 0.0, MAX_WAIT_S)
    limit = int_arg("limit", 1000, 1, 10_000, clamp=True)
    try:
        page = backend().feed.read(after, wait=wait, limit=limit)
    except StaleCursor as exc:
        raise Gone(f"feed cursor after={after} is older than the oldest retained event {exc.oldest_seq}",
                   data={"oldest_seq": exc.oldest_seq, "last_seq": exc.last_seq}) from None
    body: FeedPage = {"events": page.events, "last_seq": page.last_seq, "oldest_seq": page.oldest_seq,
                      "instance": backend().instance}
    return envelope(body)


@bp.get("/jobs/<job_id>/runtime")
def job_runtime(job_id: str) -> Response:
    """The job with its auths (secrets in clear: internal plane) and template source."""
    return envelope(backend().job_runtime(job_id))


@bp.post("/jobs/<job_id>/report")
def report_job(job_id: str) -> Response:
    """Runner report: status (a user pause wins), counters (absolute values), logs (appended, bounded)."""
    return envelope(backend().report_job(job_id, json_body()))


@bp.post("/jobs/<job_id>/lease")
def take_lease(job_id: str) -> Response:
    """Take or renew the job's lease `{"holder", "ttl_s"}`; 409 naming the holder while another runner's runs."""
    return envelope(backend().take_lease(job_id, json_body()))


@bp.post("/jobs/<job_id>/lease/release")
def release_lease(job_id: str) -> Response:
    """Give the lease back `{"holder"}` (a stopping runner), so a successor need not wait for it to expire."""
    return envelope(backend().release_lease(job_id, json_body()))


@bp.post("/reset")
def reset() -> Response:
    """Forget everything (the feed keeps counting seqs, so runner cursors stay valid)."""
    backend().reset()
    faults().reset()
    return envelope({"reset": True, "at": received()})


@bp.get("/faults")
def get_faults() -> Response:
    """The injected fault rule (collect), with how often it fired and what is left of it."""
    return envelope(faults().state())


@bp.route("/faults", methods=["PUT", "POST"])
def set_faults() -> Response:
    """Replace the injected faults: `{"collect": {status, count?, duration_s?, stream?, retry_after_s?}}`; null clears.

    PUT is the rule's verb for replacing a document; POST, its first form, stays an alias. Bad input is a 400
    naming the key and leaves the current rule in place.
    """
    return envelope(faults().configure(json_body()))


@bp.post("/segments/reevaluate")
def reevaluate_segments() -> Response:
    """Re-evaluate one audience (`segment` = id or slug) or every clock-dependent one over all profiles."""
    slugs = backend().reevaluate_segments(request.args.get("segment") or None, received())
    return envelope({"reevaluated": slugs})


@bp.get("/state")
def state() -> Response:
    return envelope(backend().state())


@bp.get("/profiles")
def list_profiles() -> Response:
    """Every profile in `_id` order, paged with `_next`."""
    start = request.args.get("start") or None
    profiles, cursor, total = backend().profiles_page(start, int_arg("limit", 100, 1, 10_000, clamp=True))
    return envelope(profiles, _next=cursor or "", total=total)


@bp.get("/field-times")
def field_times() -> Response:
    """`first_seen_ts` and the change time of each field in `fields` (comma-separated), per profile, paged.

    One call instead of one `/profiles/{_id}` per user, for load-test latency over many thousands of users.
    """
    fields = [f.strip() for f in (request.args.get("fields") or "").split(",") if f.strip()]
    if not fields:
        raise BadRequest("fields: give at least one field name (comma-separated), e.g. fields=ansira_uuid")
    start = request.args.get("start") or None
    rows, cursor, total = backend().field_times(fields, start, int_arg("limit", 10_000, 1, 100_000, clamp=True))
    return envelope(rows, _next=cursor or "", total=total)


@bp.get("/profiles/<profile_id>")
def get_profile(profile_id: str) -> Response:
    """One profile with per-field write times (`field_ts`) and `first_seen_ts`, for latency measurements."""
    return envelope(backend().profile_detail(profile_id))


@bp.get("/audience-events")
def audience_events() -> Response:
    """Segment events of the feed, optionally for one audience (`segment` = id or slug), after a seq."""
    events = backend().audience_events(request.args.get("segment") or None, int_arg("after", 0, 0, 2**62),
                                       int_arg("limit", 10_000, 1, 200_000, clamp=True))
    return envelope(events)
