"""Webhook jobs: create (started unless run_job=false), replace, pause/resume/bounce/kill, delete, logs."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_lytics.errors import NotFound
from mock_lytics.http import backend, bool_arg, envelope, int_arg, json_body, no_content
from mock_lytics.jobs import LOG_CAPACITY

bp = Blueprint("jobs", __name__, url_prefix="/v2/job")
ACTIONS = ("pause", "resume", "bounce", "kill")


@bp.post("")
@bp.post("/<workflow>")
def create_job(workflow: str | None = None) -> Response:
    """Validate the config (unknown keys, missing ids, URLs, ranges) and hand the job to the runner."""
    return envelope(backend().create_job(json_body(), workflow, run=bool_arg("run_job", True)))


@bp.get("")
def list_jobs() -> Response:
    return envelope(backend().list_jobs())


@bp.get("/<job_id>")
def get_job(job_id: str) -> Response:
    return envelope(backend().get_job(job_id))


@bp.get("/<workflow>/<job_id>")
def get_job_in_workflow(workflow: str, job_id: str) -> Response:
    """The job, read under its workflow as PUT addresses it; 404 when it belongs to another workflow."""
    return envelope(backend().get_job_in(workflow, job_id))


@bp.put("/<workflow>/<job_id>")
def update_job(workflow: str, job_id: str) -> Response:
    """Full replace of name, description, auth_ids and config (validated like a create)."""
    return envelope(backend().replace_job(workflow, job_id, json_body()))


@bp.post("/<job_id>/<action>")
def job_action(job_id: str, action: str) -> Response:
    """pause (-> pausing until the runner stops, then paused) | resume | bounce (restart) | kill."""
    if action not in ACTIONS:
        raise NotFound(f"unknown job action {action!r}; expected one of {list(ACTIONS)}")
    return envelope(backend().job_action(job_id, action))


@bp.delete("/<job_id>")
def delete_job(job_id: str) -> Response:
    backend().job_action(job_id, "delete")
    return no_content()


@bp.get("/<job_id>/logs")
def get_job_logs(job_id: str) -> Response:
    """Newest `limit` log entries: an array sorted by timestamp, as Lytics answers (status/counters: GET the job)."""
    return envelope(backend().job_logs(job_id, int_arg("limit", LOG_CAPACITY, 0, LOG_CAPACITY, clamp=True)))
