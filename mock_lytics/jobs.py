"""Webhook jobs: config validation with Lytics' defaults, user actions, and runner reports.

The mock does not run jobs; the runner (a separate process) learns of them from the feed, reads
`/__admin/jobs/{id}/runtime`, and reports status, counters and logs back. A user pause, kill or delete always
wins over what the runner reports. Pause and kill of a job the runner works on are acknowledged: the job shows
`pausing` until the runner reports (`ack_seq`) that no request of the job is in flight or can start, then
`paused` / `failed` — so once a user reads `paused`, no further webhook call happens.
"""

from __future__ import annotations

import re
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_lytics.catalog import check_url
from mock_lytics.collect import STREAM_NAME as STREAM
from mock_lytics.errors import BadRequest, NotFound
from mock_lytics.timeutil import iso

WORKFLOWS = ("webhook_enrichment", "webhook_triggers")
STATUSES = ("running", "sleeping", "pausing", "paused", "failed", "completed", "deleted", "fault-N")
REPORTABLE = re.compile(r"^(running|sleeping|failed|completed|fault-\d+)$")
LOG_CAPACITY = 1000
_COMMON_KEYS = ("segment_ids", "template_id", "webhook_url", "http_method", "user_fields", "withbackfill",
                "audience_events", "worker_count", "do_not_retry", "batch_requests", "batch_size")
CONFIG_KEYS = {
    "webhook_enrichment": frozenset((*_COMMON_KEYS, "stream")),
    "webhook_triggers": frozenset((*_COMMON_KEYS, "field_changes", "include_segs", "cloudevents",
                                   "cloudevents_type", "cloudevents_source", "batch_flush_duration")),
}
METHODS = {"webhook_enrichment": ("GET", "POST", "PUT", "PATCH"),
           "webhook_triggers": ("GET", "POST", "PUT", "PATCH", "DELETE")}
AUDIENCE_EVENTS = ("", "enters_only", "exits_only")


@dataclass(frozen=True)
class Refs:
    """What job configs may point at; built by the backend under its lock."""

    segment_ids: frozenset[str]
    slug_to_id: Mapping[str, str]
    template_ids: frozenset[str]
    auth_ids: frozenset[str]
    http_hosts: frozenset[str] = frozenset()  # hosts besides loopback where plain http is accepted


@dataclass
class Job:
    id: str
    name: str
    description: str
    workflow: str
    auth_ids: list[str]
    config: dict[str, Any]
    status: str
    created: float
    updated: float
    message: str | None = None
    user_state: str | None = None  # "paused" | "killed" | "deleted": beats runner reports
    pending: tuple[str, int] | None = None  # (status once acknowledged, feed seq the runner must acknowledge)
    counters: dict[str, float] = field(default_factory=dict)
    logs: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_CAPACITY))

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "account_id": "mock_account", "name": self.name, "description": self.description,
                "workflow": self.workflow, "auth_ids": list(self.auth_ids), "config": dict(self.config),
                "status": self.status, "message": self.message, "counters": dict(self.counters),
                "created": iso(self.created), "updated": iso(self.updated)}


def validate_job(body: Any, workflow: str | None, refs: Refs) -> tuple[str, str, str, list[str], dict[str, Any]]:
    """(name, description, workflow, auth_ids, config with defaults) or a 400 naming the offending key."""
    if not isinstance(body, Mapping):
        raise BadRequest("job body must be a JSON object")
    unknown = sorted(set(body) - {"name", "description", "workflow", "auth_ids", "config"})
    if unknown:
        raise BadRequest(f"unknown job attribute(s) {unknown}; expected name, description, workflow, auth_ids, config")
    flow = body.get("workflow") or workflow
    if workflow and body.get("workflow") and body["workflow"] != workflow:
        raise BadRequest(f"workflow in body {body['workflow']!r} does not match the URL {workflow!r}")
    if flow not in WORKFLOWS:
        raise BadRequest(f"job 'workflow' must be one of {list(WORKFLOWS)}, got {flow!r}")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("job 'name' is required")
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise BadRequest("job 'description' must be a string")
    auth_ids = _id_list(body.get("auth_ids"), "auth_ids", refs.auth_ids, "auth")
    config = body.get("config")
    if not isinstance(config, Mapping):
        raise BadRequest("job 'config' is required (an object)")
    return name.strip(), description, flow, auth_ids, validate_config(config, flow, refs)


def validate_config(config: Mapping[str, Any], flow: str, refs: Refs) -> dict[str, Any]:
    unknown = sorted(set(config) - CONFIG_KEYS[flow])
    if unknown:
        raise BadRequest(f"unknown config key {unknown[0]!r} for {flow}; expected some of {sorted(CONFIG_KEYS[flow])}")
    enrich = flow == "webhook_enrichment"
    out: dict[str, Any] = {}
    seg_ids = config.get("segment_ids")
    if not isinstance(seg_ids, list) or not seg_ids:
        raise BadRequest("config.segment_ids is required: a non-empty list of segment ids")
    for sid in seg_ids:
        if sid not in refs.segment_ids:
            hint = f" ({sid!r} is the slug of segment {refs.slug_to_id[sid]}; pass the id)" \
                if isinstance(sid, str) and sid in refs.slug_to_id else ""
            raise BadRequest(f"config.segment_ids: segment {sid!r} does not exist{hint}")
    out["segment_ids"] = list(dict.fromkeys(seg_ids))
    if enrich:
        stream = config.get("stream") or "webhook_enrichment"
        if not isinstance(stream, str) or not STREAM.match(stream):
            raise BadRequest(f"config.stream must be a stream name matching {STREAM.pattern}, got {stream!r}")
        out["stream"] = stream
    template_id = config.get("template_id") or None
    if template_id is not None and template_id not in refs.template_ids:
        raise BadRequest(f"config.template_id: template {template_id!r} does not exist")
    out["template_id"] = template_id or ""
    out["webhook_url"] = check_url(config.get("webhook_url"), "config.webhook_url", refs.http_hosts)
    method = str(config.get("http_method") or "POST").upper()
    if method not in METHODS[flow]:
        raise BadRequest(f"config.http_method must be one of {list(METHODS[flow])} for {flow}, got {method!r}")
    out["http_method"] = method
    user_fields = config.get("user_fields") or []
    if not isinstance(user_fields, list) or not all(isinstance(f, str) and f for f in user_fields):
        raise BadRequest("config.user_fields must be a list of field names")
    out["user_fields"] = list(user_fields)
    out["withbackfill"] = _bool(config, "withbackfill", enrich)
    events = config.get("audience_events", "enters_only" if enrich else "")
    if events not in AUDIENCE_EVENTS:
        raise BadRequest(f"config.audience_events must be one of {list(AUDIENCE_EVENTS)}, got {events!r}")
    out["audience_events"] = events
    out["worker_count"] = _int(config, "worker_count", 5, 1, 20)
    dnr = config.get("do_not_retry") or []
    if not isinstance(dnr, list) or not all(isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599
                                            for c in dnr):
        raise BadRequest(f"config.do_not_retry must be a list of HTTP status codes (100..599), got {dnr!r}")
    out["do_not_retry"] = sorted(set(dnr))
    out["batch_requests"] = _bool(config, "batch_requests", False)
    out["batch_size"] = _int(config, "batch_size", 10, 1, 1000)
    for key in sorted(CONFIG_KEYS[flow] - set(out)):
        if key in config:
            out[key] = config[key]
    return out


def _id_list(value: Any, what: str, known: frozenset[str], kind: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"job '{what}' must be a list of {kind} ids")
    for v in value:
        if v not in known:
            raise BadRequest(f"job '{what}': {kind} {v!r} does not exist")
    return list(dict.fromkeys(value))


def _bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"config.{key} must be true or false, got {value!r}")
    return value


def _int(config: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadRequest(f"config.{key} must be an integer from {lo} to {hi}, got {value!r}")
    return value


class Jobs:
    """Job records by id; deleted jobs stay listed with status "deleted"."""

    def __init__(self, clock: Callable[[], float], *, immediate_actions: bool = False) -> None:
        self._clock = clock
        # True: pause/kill are final at once, as if no runner worked on the job (config IMMEDIATE_JOB_ACTIONS)
        self.immediate_actions = immediate_actions
        self.reset()

    def reset(self) -> None:
        self.by_id: dict[str, Job] = {}

    def get(self, jid: str) -> Job:
        if jid not in self.by_id:
            raise NotFound(f"job {jid!r} not found")
        return self.by_id[jid]

    def create(self, name: str, description: str, flow: str, auth_ids: list[str], config: dict[str, Any],
               *, run: bool) -> Job:
        now = self._clock()
        job = Job(secrets.token_hex(16), name, description, flow, auth_ids, config,
                  "running" if run else "paused", now, now, user_state=None if run else "paused")
        self.by_id[job.id] = job
        self.log(job, "info", "job created" + ("" if run else " paused (run_job=false)"), "created")
        return job

    def replace(self, job: Job, name: str, description: str, auth_ids: list[str], config: dict[str, Any]) -> None:
        self._alive(job, "update")
        job.name, job.description, job.auth_ids, job.config = name, description, auth_ids, config
        job.updated = self._clock()
        self.log(job, "info", "job updated", "updated")

    def needs_ack(self, job: Job) -> bool:
        """Only enrichment jobs have workers (the runner); triggers jobs are stored, never run."""
        return not self.immediate_actions and job.workflow == "webhook_enrichment"

    def act(self, job: Job, action: str, *, acked: bool = True) -> str:
        """Apply pause|resume|bounce|kill|delete; returns the feed action name.

        With acked=False (a job the runner works on) pause and kill only reach `pausing`; await_ack() then holds
        the final status until the runner's report acknowledges the action's feed event.
        """
        self._alive(job, action)
        if action == "pause":
            if job.status != "paused":
                job.status = "paused" if acked else "pausing"
            job.user_state = "paused"
        elif action in ("resume", "bounce"):
            if job.user_state == "killed":
                raise BadRequest(f"job {job.id} was killed; it cannot be {action}d (create a new job)")
            job.status, job.user_state, job.message, job.pending = "running", None, None, None
        elif action == "kill":
            job.user_state = "killed"
            if acked:
                job.status, job.message = "failed", "killed by user"
            else:
                job.status, job.message = "pausing", "kill requested: waiting for the workers to stop"
        elif action == "delete":
            job.status, job.user_state, job.pending = "deleted", "deleted", None
        job.updated = self._clock()
        past = {"pause": "paused", "resume": "resumed", "bounce": "bounced", "kill": "killed",
                "delete": "deleted"}[action]
        self.log(job, "info", f"job {past} by user", past)
        return past

    def await_ack(self, job: Job, action: str, seq: int) -> None:
        """Hold a pausing job until the runner acknowledges feed event `seq` (its report's ack_seq)."""
        if job.status == "pausing":
            job.pending = ("failed" if action == "killed" else "paused", seq)

    def _acknowledge(self, job: Job, ack_seq: int) -> None:
        if job.pending is None or ack_seq < job.pending[1]:
            return
        final, job.pending = job.pending[0], None
        job.status = final
        if final == "failed":
            job.message = "killed by user"
        self.log(job, "info", f"workers stopped: job {'killed' if final == 'failed' else 'paused'}", final)

    def report(self, job: Job, body: Any) -> None:
        """Runner report: status (unless the user paused/killed/deleted), absolute counters, appended logs."""
        if not isinstance(body, Mapping):
            raise BadRequest("report body must be a JSON object")
        unknown = sorted(set(body) - {"status", "message", "counters", "logs", "ack_seq"})
        if unknown:
            raise BadRequest(f"unknown report attribute(s) {unknown}; expected status, message, counters, logs, "
                             "ack_seq")
        ack_seq = body.get("ack_seq")
        if ack_seq is not None and (isinstance(ack_seq, bool) or not isinstance(ack_seq, int)):
            raise BadRequest(f"report 'ack_seq' must be the feed seq of the last job event applied, got {ack_seq!r}")
        status = body.get("status")
        if status is not None and (not isinstance(status, str) or not REPORTABLE.match(status)):
            raise BadRequest(f"report 'status' must be running, sleeping, failed, completed or fault-N, got {status!r}")
        counters = body.get("counters") or {}
        if not isinstance(counters, Mapping) or not all(
                isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
                for k, v in counters.items()):
            raise BadRequest("report 'counters' must map names to numbers")
        logs = body.get("logs") or []
        if not isinstance(logs, list) or not all(isinstance(e, Mapping) for e in logs):
            raise BadRequest("report 'logs' must be a list of objects")
        message = body.get("message")
        if message is not None and not isinstance(message, str):
            raise BadRequest("report 'message' must be a string or null")
        if status is not None and job.user_state is None:
            job.status = status
            job.message = message
        job.counters.update(counters)
        if ack_seq is not None:
            self._acknowledge(job, ack_seq)
        for entry in logs:
            context = entry.get("context") if isinstance(entry.get("context"), Mapping) else {}
            self.log(job, str(entry.get("level") or "info"), str(entry.get("message") or ""), entry.get("code"),
                     dict(context))
        job.updated = self._clock()

    def log(self, job: Job, level: str, message: str, code: Any, context: dict[str, Any] | None = None) -> None:
        ctx = {"added": 0, "omitted": 0, "removed": 0, **(context or {})}
        job.logs.append({"job_id": job.id, "level": level, "message": message, "code": code,
                         "timestamp": iso(self._clock()), "context": ctx})

    @staticmethod
    def _alive(job: Job, action: str) -> None:
        if job.status == "deleted":
            raise BadRequest(f"job {job.id} is deleted; cannot {action} it")
