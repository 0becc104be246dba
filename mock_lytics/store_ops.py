"""Backend operations on audiences, templates, auths and jobs (mixed into store.Backend; typed against Host).

Kept apart from store.py so each file reads in one sitting; these methods use the Backend's parts and lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import wraps
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from mock_lytics import filterql
from mock_lytics.catalog import HEADER_PARAM, OAUTH2, Catalog, check_template_meta
from mock_lytics.collect import Streams
from mock_lytics.errors import BadRequest, Conflict, NotFound
from mock_lytics.feed import Feed
from mock_lytics.jobs import Jobs, Refs, validate_job
from mock_lytics.profiles import Profile, ProfileStore
from mock_lytics.segments import Segment, Segments, check_slug, parse_ql, slugify, tags_of
from mock_lytics.wire import Runtime

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
SEGMENT_KEYS = frozenset({"name", "segment_ql", "slug_name", "is_public", "description", "tags", "kind", "table",
                          "save_hist"})
# Read-only attributes a client may echo back from a GET; accepted and ignored.
SEGMENT_ECHO = frozenset({"id", "account_id", "author_id", "created", "updated", "size"})


class Host(Protocol):
    """What the mixins use of the Backend they are mixed into (store.Backend), so this module need not import it.

    The `_` methods expect the lock held, as everywhere in the Backend.
    """

    @property
    def clock(self) -> Callable[[], float]: ...
    @property
    def instance(self) -> str: ...
    @property
    def lock(self) -> threading.RLock: ...
    @property
    def feed(self) -> Feed: ...
    @property
    def profiles(self) -> ProfileStore: ...
    @property
    def segments(self) -> Segments: ...
    @property
    def streams(self) -> Streams: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def jobs(self) -> Jobs: ...

    def _evaluate_everyone(self, seg_ids: set[str], cause_ts: float) -> None: ...
    def _view(self, profile: Profile, *, fields: list[str] | None = None, segments: bool = True
              ) -> dict[str, Any]: ...
    def _add_segment(self, name: str, slug: str, text: str, flt: Any, body: Mapping[str, Any],
                     cause_ts: float) -> Segment: ...
    def _redefine(self, seg: Segment, body: Mapping[str, Any], flt: Any, cause_ts: float) -> None: ...
    def _refs(self) -> Refs: ...


def locked(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run a Backend method under the backend lock."""

    @wraps(method)
    def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        lock: threading.RLock = self.lock  # type: ignore[attr-defined]
        with lock:
            return method(self, *args, **kwargs)

    return wrapper


class SegmentOps:
    """Audience CRUD; every definition change re-evaluates the audience over all profiles once."""

    @locked
    def create_segment_text(self: Host, text: str, cause_ts: float) -> tuple[dict[str, Any], bool]:
        """v1 text/plain create: the ALIAS is slug and name, and an existing alias is updated (upsert)."""
        flt = parse_ql(text)
        if not flt.alias:
            raise BadRequest("Failed parsing segment QL: a text segment needs ALIAS <slug> (it becomes slug and name)")
        slug = check_slug(flt.alias)
        existing = self.segments.find(slug) if slug in self.segments.by_slug else None
        if existing is not None:
            self._redefine(existing, {"segment_ql": text, "name": slug}, flt, cause_ts)
            return existing.to_api(), False
        return self._add_segment(slug, slug, text, flt, {}, cause_ts).to_api(), True

    @locked
    def create_segment_json(self: Host, body: Any, *, v2: bool, cause_ts: float) -> tuple[dict[str, Any], bool]:
        """JSON create. v1 upserts on the slug; v2 renames a taken slug to `<slug>_1` silently (as Lytics does)."""
        body = _segment_body(body)
        text = body.get("segment_ql")
        flt = parse_ql(text, statement=False)
        name = body.get("name")
        slug = check_slug(body.get("slug_name") or flt.alias or slugify(name or ""))
        if not isinstance(name, str) or not name.strip():
            name = slug
        if not v2 and slug in self.segments.by_slug:
            existing = self.segments.get(slug)
            self._redefine(existing, {**body, "name": name}, flt, cause_ts)
            return existing.to_api(), False
        slug = self.segments.free_slug(slug) if v2 else slug
        return self._add_segment(name, slug, text, flt, body, cause_ts).to_api(), True

    @locked
    def update_segment(self: Host, ref: str, body: Any, cause_ts: float) -> dict[str, Any]:
        seg = self.segments.get(ref)
        body = _segment_body(body, partial=True)
        flt = parse_ql(body["segment_ql"], statement=False) if "segment_ql" in body else None
        slug = body.get("slug_name")
        if slug is not None and slug != seg.slug_name:
            check_slug(slug)
            if slug in self.segments.by_slug:
                raise Conflict(f"slug_name {slug!r} is already used by segment {self.segments.by_slug[slug]}")
        self._redefine(seg, body, flt, cause_ts)
        return seg.to_api()

    @locked
    def delete_segment(self: Host, ref: str, cause_ts: float) -> None:
        """Members leave silently (no exit events); audiences that INCLUDE it are re-evaluated."""
        seg = self.segments.get(ref)
        includers = self.segments.with_includers({seg.id}) - {seg.id}
        self.segments.remove(seg.id)
        self._evaluate_everyone(includers, cause_ts)

    @locked
    def reevaluate_segments(self: Host, ref: str | None, cause_ts: float) -> list[str]:
        """Re-run audiences over every profile: one (by id/slug), else those whose result depends on the clock.

        Membership otherwise changes only when a profile or a definition changes, so audiences such as
        `last_seen < "now-30d"` need this nudge as time passes (the scenario clock decides when).
        """
        if ref:
            seg_ids = {self.segments.get(ref).id}
        else:
            seg_ids = {s.id for s in self.segments.by_id.values() if filterql.time_dependent(s.filter)}
        self._evaluate_everyone(seg_ids, cause_ts)
        return sorted(self.segments.by_id[s].slug_name for s in self.segments.with_includers(seg_ids))

    @locked
    def list_segments(self: Host, *, sizes: bool = False) -> list[dict[str, Any]]:
        return [s.to_api(self.segments.size(s.id) if sizes else None) for s in self.segments.by_id.values()]

    @locked
    def get_segment(self: Host, ref: str, *, size: bool = False) -> dict[str, Any]:
        seg = self.segments.get(ref)
        return seg.to_api(self.segments.size(seg.id) if size else None)

    @locked
    def segment_size(self: Host, text: str) -> dict[str, Any]:
        """Ad-hoc size of an unsaved FilterQL statement: a full scan, by nature."""
        flt = parse_ql(text)
        now = datetime.fromtimestamp(self.clock(), UTC)
        size = sum(1 for p in self.profiles.profiles.values()
                   if filterql.evaluate(flt, p.fields, now=now, resolve=self.segments.resolve))
        return {"id": "", "name": flt.alias or "", "slug_name": flt.alias or "", "size": size}

    @locked
    def scan_segment(self: Host, ref: str, start: str | None, limit: int) -> tuple[list[dict], str | None, int]:
        seg = self.segments.get(ref)
        nums, cursor = self.segments.page(seg.id, start, limit)
        profiles = [self._view(self.profiles.profiles[str(n)]) for n in nums]
        return profiles, cursor, self.segments.size(seg.id)

    def _add_segment(self: Host, name: str, slug: str, text: str, flt: Any, body: Mapping[str, Any],
                     cause_ts: float) -> Segment:
        now = self.clock()
        seg = Segment(id=self.segments.new_id(), slug_name=slug, name=name, segment_ql=text, filter=flt,
                      created=now, updated=now, description=_text(body, "description"),
                      is_public=_flag(body, "is_public"), tags=tags_of(body.get("tags")),
                      kind=_text(body, "kind") or "segment")
        self.segments.put(seg)
        self._evaluate_everyone({seg.id}, cause_ts)
        return seg

    def _redefine(self: Host, seg: Segment, body: Mapping[str, Any], flt: Any, cause_ts: float) -> None:
        if "name" in body:
            seg.name = _text(body, "name") or seg.name
        if "description" in body:
            seg.description = _text(body, "description")
        if "is_public" in body:
            seg.is_public = _flag(body, "is_public")
        if "tags" in body:
            seg.tags = tags_of(body.get("tags"))
        if body.get("slug_name"):
            seg.slug_name = body["slug_name"]
        changed_ql = flt is not None and body["segment_ql"] != seg.segment_ql
        if flt is not None:
            seg.segment_ql, seg.filter = body["segment_ql"], flt
        seg.updated = self.clock()
        self.segments.put(seg)
        if changed_ql:
            self._evaluate_everyone({seg.id}, cause_ts)


def _segment_body(body: Any, *, partial: bool = False) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise BadRequest("segment body must be a JSON object (or text/plain FilterQL)")
    unknown = sorted(set(body) - SEGMENT_KEYS - SEGMENT_ECHO)
    if unknown:
        raise BadRequest(f"unknown segment attribute(s) {unknown}; expected some of {sorted(SEGMENT_KEYS)}")
    if not partial and not body.get("segment_ql"):
        raise BadRequest("segment 'segment_ql' is required (a FilterQL statement)")
    if body.get("table") not in (None, "", "user"):
        raise BadRequest(f"segment table {body['table']!r}: only 'user' is simulated")
    return {k: v for k, v in body.items() if k in SEGMENT_KEYS}


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key) or ""
    if not isinstance(value, str):
        raise BadRequest(f"segment {key!r} must be a string, got {value!r}")
    return value


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(f"segment {key!r} must be true or false, got {value!r}")
    return value


class CatalogOps:
    """Templates, auths and jobs; job lifecycle changes are announced on the feed for the runner."""

    # ------------------------------------------------------------------------------------------ templates

    @locked
    def create_template(self: Host, name: Any, ttype: Any, source: str, description: str) -> dict[str, Any]:
        name, ttype = check_template_meta(name, ttype)
        return self.catalog.add_template(name, ttype, source, description).to_api()

    @locked
    def update_template(self: Host, tid: str, *, source: str | None, meta: Mapping[str, Any]) -> dict[str, Any]:
        tpl = self.catalog.template(tid)
        name, ttype = check_template_meta(meta.get("name") or tpl.name, meta.get("type") or tpl.type)
        tpl.name, tpl.type = name, ttype
        if meta.get("description") is not None:
            tpl.description = str(meta["description"])
        if source is not None:
            tpl.source = source
        tpl.updated = self.clock()
        return tpl.to_api()

    @locked
    def template_record(self: Host, tid: str) -> dict[str, Any]:
        return self.catalog.template(tid).internal()

    @locked
    def list_templates(self: Host) -> list[dict[str, Any]]:
        return [t.to_api() for t in self.catalog.templates.values()]

    @locked
    def get_template(self: Host, tid: str) -> dict[str, Any]:
        return self.catalog.template(tid).to_api()

    @locked
    def delete_template(self: Host, tid: str) -> None:
        self.catalog.delete_template(tid)

    @locked
    def segment_id_for(self: Host, ref: str) -> str:
        seg = self.segments.find(ref)
        return seg.id if seg is not None else ""

    # ------------------------------------------------------------------------------------------ auths

    @locked
    def create_auth(self: Host, auth_type: str, body: Any) -> dict[str, Any]:
        if auth_type not in (OAUTH2, HEADER_PARAM):
            raise BadRequest(f"auth type {auth_type!r} is not simulated; use {OAUTH2} or {HEADER_PARAM}")
        return self.catalog.add_auth(auth_type, body).to_api()

    @locked
    def list_auths(self: Host) -> list[dict[str, Any]]:
        return [a.to_api() for a in self.catalog.auths.values()]

    @locked
    def get_auth(self: Host, aid: str) -> dict[str, Any]:
        return self.catalog.auth(aid).to_api()

    @locked
    def delete_auth(self: Host, aid: str) -> None:
        self.catalog.delete_auth(aid)

    # ------------------------------------------------------------------------------------------ jobs

    def _refs(self: Host) -> Refs:
        return Refs(frozenset(self.segments.by_id), dict(self.segments.by_slug), frozenset(self.catalog.templates),
                    frozenset(self.catalog.auths), self.catalog.http_hosts)

    @locked
    def create_job(self: Host, body: Any, workflow: str | None, *, run: bool) -> dict[str, Any]:
        name, description, flow, auth_ids, config = validate_job(body, workflow, self._refs())
        job = self.jobs.create(name, description, flow, auth_ids, config, run=run)
        if "stream" in config:
            self.streams.touch(config["stream"], self.clock())
        self.feed.append("job", job_id=job.id, action="created")
        return job.to_api()

    @locked
    def list_jobs(self: Host) -> list[dict[str, Any]]:
        return [j.to_api() for j in self.jobs.by_id.values()]

    @locked
    def get_job(self: Host, jid: str) -> dict[str, Any]:
        return self.jobs.get(jid).to_api()

    @locked
    def get_job_in(self: Host, workflow: str, jid: str) -> dict[str, Any]:
        job = self.jobs.get(jid)
        if job.workflow != workflow:
            raise NotFound(f"job {jid} is a {job.workflow} job, not {workflow}")
        return job.to_api()

    @locked
    def replace_job(self: Host, workflow: str, jid: str, body: Any) -> dict[str, Any]:
        job = self.jobs.get(jid)
        if job.workflow != workflow:
            raise BadRequest(f"job {jid} is a {job.workflow} job, not {workflow}")
        name, description, _, auth_ids, config = validate_job(body, workflow, self._refs())
        self.jobs.replace(job, name, description, auth_ids, config)
        self.feed.append("job", job_id=job.id, action="updated")
        return job.to_api()

    @locked
    def job_action(self: Host, jid: str, action: str) -> dict[str, Any]:
        job = self.jobs.get(jid)
        past = self.jobs.act(job, action, acked=not self.jobs.needs_ack(job))
        event = self.feed.append("job", job_id=job.id, action=past)
        self.jobs.await_ack(job, past, int(event["seq"]))
        return job.to_api()

    @locked
    def job_logs(self: Host, jid: str, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` entries as Lytics answers them: an array sorted by timestamp (oldest first)."""
        job = self.jobs.get(jid)
        logs = list(job.logs)[-limit:] if limit else []
        return sorted(logs, key=lambda e: str(e.get("timestamp") or ""))

    @locked
    def report_job(self: Host, jid: str, body: Any) -> dict[str, Any]:
        job = self.jobs.get(jid)
        self.jobs.report(job, body)
        return job.to_api()

    @locked
    def job_runtime(self: Host, jid: str) -> Runtime:
        """Everything the runner needs, secrets included: this is served on the internal plane only."""
        job = self.jobs.get(jid)
        auths = [self.catalog.auths[a].internal() for a in job.auth_ids if a in self.catalog.auths]
        tid = job.config.get("template_id")
        tpl = self.catalog.templates.get(tid) if tid else None
        return {"job": job.to_api(), "auths": auths, "template": tpl.internal() if tpl else None,
                "instance": self.instance}
