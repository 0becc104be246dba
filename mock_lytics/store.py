"""The backend: one lock over schema, profiles, audiences, catalog and jobs; no Flask here.

Ingestion path for one collected event (under the lock, so concurrent collects stay consistent and the feed's
seq order is the commit order):
    live mappings of the stream -> guard/IF/WHERE -> LQL value -> coerce to field type
    -> identifier values find 0/1/n profiles (create / update / merge into the oldest)
    -> write each value with its field's merge op (event time decides latest/oldest)
    -> re-evaluate only the audiences reading a changed field (+ their includers) -> enter/exit feed events.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from mock_lytics import lql
from mock_lytics.catalog import Catalog
from mock_lytics.collect import Prepared, Streams
from mock_lytics.errors import NotFound
from mock_lytics.feed import Feed
from mock_lytics.jobs import Jobs
from mock_lytics.leases import Leases, parse_release, parse_take
from mock_lytics.profiles import Profile, ProfileStore
from mock_lytics.schema import Schema
from mock_lytics.segments import Segment, Segments, decode_cursor, encode_cursor
from mock_lytics.store_ops import CatalogOps, SegmentOps, locked
from mock_lytics.timeutil import iso
from mock_lytics.values import FieldSpec, coerce
from mock_lytics.wire import FeedEvent

_SAMPLES = {"string": "sample", "int": 1, "number": 1.5, "bool": True, "date": "2024-01-01T00:00:00Z",
            "[]string": ["a", "b"], "[]time": ["2024-01-01T00:00:00Z"], "ts[]string": ["a"]}


class Backend(SegmentOps, CatalogOps):
    """All mock Lytics state, in memory only: a restart loses all of it. Public methods take the lock; `_` methods
    expect it held."""

    def __init__(self, *, clock: Callable[[], float], feed_capacity: int) -> None:
        self.clock = clock
        # Names this process's state: a client that sees it change knows the mock restarted and forgot everything
        # (a reset keeps it: the feed keeps counting there, so cursors stay valid).
        self.instance = secrets.token_hex(8)
        self.lock = threading.RLock()
        self.feed = Feed(feed_capacity, clock)
        self.schema = Schema(clock)
        self.profiles = ProfileStore()
        self.segments = Segments()
        self.streams = Streams()
        self.catalog = Catalog(clock)
        self.jobs = Jobs(clock)
        self.leases = Leases(clock)
        self.unattached = 0

    @locked
    def reset(self) -> None:
        for part in (self.schema, self.profiles, self.segments, self.streams, self.catalog, self.jobs, self.leases,
                     self.feed):
            part.reset()
        self.unattached = 0

    # ------------------------------------------------------------------------------------------ collect

    @locked
    def collect(self, stream: str, prepared: Prepared, *, received: float) -> None:
        """Apply a validated batch; every event is recorded on the stream, mapped, and attached if it can be."""
        self.streams.touch(stream, received)
        mappings = self.schema.plan.by_stream.get(stream, ())
        now_dt = datetime.fromtimestamp(received, UTC)
        for event, event_ts in zip(prepared.events, prepared.times, strict=True):
            self.streams.record(stream, event, received)
            if mappings:
                self._ingest(mappings, event, event_ts, received, now_dt)
            else:
                self.unattached += 1

    def _ingest(self, mappings: Iterable[Any], event: Mapping[str, Any], event_ts: float, cause_ts: float,
                now_dt: datetime) -> None:
        specs = self.schema.plan.fields
        values: list[tuple[FieldSpec, Any, str | None]] = []
        keys: list[tuple[str, str]] = []
        for m in mappings:
            if m.guard_ast is not None and not lql.truthy(m.guard_ast, event):
                continue
            spec = specs[m.field]
            value = coerce(spec.type, lql.evaluate(m.expr_ast, event))
            if value is None:
                continue
            values.append((spec, value, m.aggregate))
            if spec.is_identifier:
                keys.extend((spec.id, str(v)) for v in (value if isinstance(value, list) else [value]))
        if not keys:
            self.unattached += 1
            return
        now = self.clock()
        found = self.profiles.find(keys)
        full = len(found) != 1
        if not found:
            profile = self.profiles.create(now)
        else:
            profile = found[0]
            for absorbed in found[1:]:
                self._absorb(profile, absorbed, cause_ts, now)
        changed = [spec.id for spec, value, agg in values
                   if self.profiles.write(profile, spec, value, event_ts, now, agg)]
        targets = set(self.segments.by_id) if full else self.segments.candidates(changed)
        if targets:
            self._reevaluate(profile, targets, cause_ts, now_dt)

    def _absorb(self, survivor: Profile, absorbed: Profile, cause_ts: float, now: float) -> None:
        left = self.segments.drop_profile(absorbed.num)
        if left:
            self._emit([(seg, "exit") for seg in left], absorbed, cause_ts)
        self.profiles.merge(survivor, absorbed, self.schema.plan.fields, now)

    def _reevaluate(self, profile: Profile, seg_ids: set[str], cause_ts: float, now_dt: datetime) -> None:
        matched = self.segments.evaluate(profile.fields, seg_ids, now_dt)
        changes = self.segments.apply(profile.num, seg_ids, matched)
        if changes:
            self._emit(changes, profile, cause_ts)

    def _emit(self, changes: list[tuple[Segment, str]], profile: Profile, cause_ts: float) -> None:
        snapshot = profile.snapshot()
        identity = self.profiles.identity(profile, self.schema.plan.identifiers)
        ts = self.clock()
        for seg, kind in changes:
            self.feed.append("segment", ts=ts, cause_ts=cause_ts, segment_id=seg.id, slug=seg.slug_name,
                             event=kind, profile_id=profile.id, identity=identity, profile=snapshot)

    def _evaluate_everyone(self, seg_ids: set[str], cause_ts: float) -> None:
        """A segment was created/changed: evaluate it (and its includers) over every profile once."""
        seg_ids = self.segments.with_includers(seg_ids) & set(self.segments.by_id)
        if not seg_ids:
            return
        now_dt = datetime.fromtimestamp(cause_ts, UTC)
        for num in self.profiles.ordered_ids():
            self._reevaluate(self.profiles.profiles[str(num)], seg_ids, cause_ts, now_dt)

    @locked
    def stream_names(self) -> list[str]:
        return sorted(self.streams.by_name)

    @locked
    def stream_list(self) -> list[dict[str, Any]]:
        return [s.to_api() for s in sorted(self.streams.by_name.values(), key=lambda s: s.name)]

    # ------------------------------------------------------------------------------------------ profiles

    @locked
    def entity(self, field_id: str, value: str, *, fields: list[str] | None = None,
               segments: bool = True) -> dict[str, Any] | None:
        profile = self.profiles.lookup(field_id, value)
        return None if profile is None else self._view(profile, fields=fields, segments=segments)

    def _view(self, profile: Profile, *, fields: list[str] | None = None, segments: bool = True) -> dict[str, Any]:
        data = profile.snapshot()
        if fields:
            data = {k: v for k, v in data.items() if k in fields}
        if segments:
            data["segments"] = [*self.segments.slugs_of(profile.num), "all"]
        return data

    @locked
    def by_fields(self) -> list[str]:
        return list(self.schema.plan.identifiers)

    @locked
    def profiles_page(self, start: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None, int]:
        after = decode_cursor(start) if start else 0
        nums = [n for n in self.profiles.ordered_ids() if n > after]
        page = nums[:limit]
        cursor = encode_cursor(page[-1]) if len(nums) > limit and page else None
        return [self._view(self.profiles.profiles[str(n)]) for n in page], cursor, len(self.profiles)

    @locked
    def profile_detail(self, pid: str) -> dict[str, Any]:
        profile = self.profiles.get(pid)
        if profile is None:
            raise NotFound(f"profile {pid!r} not found")
        return {"profile": profile.snapshot(), "field_ts": dict(profile.field_ts),
                "first_seen_ts": profile.first_seen, "segments": self.segments.slugs_of(profile.num),
                "identity": self.profiles.identity(profile, self.schema.plan.identifiers),
                "identifier_values": {k: sorted(v, key=v.__getitem__) for k, v in profile.multi.items()}}

    @locked
    def field_times(self, fields: list[str], start: str | None, limit: int
                    ) -> tuple[list[dict[str, Any]], str | None, int]:
        """Per profile, when it was first seen and when each named field last changed (bulk latency reads)."""
        after = decode_cursor(start) if start else 0
        nums = [n for n in self.profiles.ordered_ids() if n > after]
        page = nums[:limit]
        out = []
        for n in page:
            p = self.profiles.profiles[str(n)]
            out.append({"_id": p.id, "first_seen_ts": p.first_seen,
                        "field_ts": {f: p.field_ts[f] for f in fields if f in p.field_ts}})
        cursor = encode_cursor(page[-1]) if len(nums) > limit and page else None
        return out, cursor, len(self.profiles)

    # ------------------------------------------------------------------------------------------ schema

    @locked
    def upsert_field(self, body: Any, path_id: str | None = None) -> dict[str, Any]:
        return self.schema.upsert_field(body, path_id=path_id).to_api()

    @locked
    def upsert_mapping(self, body: Any) -> dict[str, Any]:
        return self.schema.upsert_mapping(body).to_api()

    @locked
    def publish(self, tag: str | None, description: str | None) -> dict[str, Any]:
        return self.schema.publish(tag, description)

    @locked
    def schema_summary(self) -> dict[str, Any]:
        return self.schema.summary()

    @locked
    def list_fields(self) -> list[dict[str, Any]]:
        return self.schema.list_fields()

    @locked
    def get_field(self, field_id: str) -> dict[str, Any]:
        return self.schema.get_field(field_id).to_api()

    @locked
    def delete_field(self, field_id: str) -> None:
        self.schema.delete_field(field_id)

    @locked
    def list_mappings(self) -> list[dict[str, Any]]:
        return self.schema.list_mappings()

    @locked
    def delete_mapping(self, mapping_id: str) -> None:
        self.schema.delete_mapping(mapping_id)

    def validate_query(self, text: str) -> dict[str, Any]:
        return self.schema.compile_query(text).to_api(iso)

    @locked
    def list_queries(self) -> list[dict[str, Any]]:
        return [q.to_api(iso) for q in self.schema.queries.values()]

    @locked
    def get_query(self, alias: str) -> dict[str, Any]:
        return self.schema.get_query(alias).to_api(iso)

    @locked
    def delete_query(self, alias: str) -> None:
        self.schema.delete_query(alias)

    @locked
    def upsert_query(self, text: str) -> dict[str, Any]:
        query = self.schema.upsert_query(text)
        self.streams.touch(query.query.stream, self.clock())
        return query.to_api(iso)

    @locked
    def test_query(self, text: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """Evaluate a query over one record: the user fields it would write (nothing is stored)."""
        query = self.schema.compile_query(text)
        specs = {s.id: s for s in query.fields}
        out: dict[str, Any] = {}
        for m in query.mappings:
            if m.guard_ast is not None and not lql.truthy(m.guard_ast, record):
                continue
            value = coerce(specs[m.field].type, lql.evaluate(m.expr_ast, record))
            if value is not None:
                out[m.field] = value
        return out

    @locked
    def sample_entity(self) -> dict[str, Any]:
        """An entity for template tests without one: a plausible value per live field (Lytics generates one)."""
        out: dict[str, Any] = {}
        for spec in self.schema.plan.fields.values():
            if spec.id == "email" or spec.id.endswith("_email"):
                out[spec.id] = "test@lytics.com"
            elif spec.type.startswith("map["):
                out[spec.id] = {"key": _SAMPLES.get(spec.type[len("map[string]"):], "value")}
            else:
                out[spec.id] = _SAMPLES.get(spec.type, "sample")
        return out

    # ------------------------------------------------------------------------------------------ admin

    @locked
    def state(self) -> dict[str, Any]:
        oldest, last = self.feed.bounds()
        return {
            "instance": self.instance,
            "profiles": len(self.profiles),
            "unattached_events": self.unattached,
            "segments": [{"id": s.id, "slug_name": s.slug_name, "size": self.segments.size(s.id)}
                         for s in self.segments.by_id.values()],
            "jobs": [{"id": j.id, "name": j.name, "workflow": j.workflow, "status": j.status,
                      "counters": dict(j.counters)} for j in self.jobs.by_id.values()],
            "streams": [{"name": s.name, "count": s.count} for s in self.streams.by_name.values()],
            "templates": len(self.catalog.templates),
            "auths": len(self.catalog.auths),
            "schema": self.schema.summary(),
            "feed": {"oldest_seq": oldest, "last_seq": last},
        }

    @locked
    def take_lease(self, jid: str, body: Any) -> dict[str, Any]:
        holder, ttl = parse_take(body)
        job = self.jobs.get(jid)
        if job.status == "deleted":
            self.leases.drop(jid)
            raise NotFound(f"job {jid!r} was deleted; nothing to lease")
        return {**self.leases.take(jid, holder, ttl), "instance": self.instance}

    @locked
    def release_lease(self, jid: str, body: Any) -> dict[str, Any]:
        holder = parse_release(body)
        self.jobs.get(jid)
        return self.leases.release(jid, holder)

    def audience_events(self, segment: str | None, after: int, limit: int) -> list[FeedEvent]:
        """Segment events of the feed, optionally for one audience (id or slug; also one deleted since)."""
        refs: set[str] = set()
        if segment:
            refs.add(segment)
            with self.lock:
                found = self.segments.find(segment)
            if found is not None:
                refs.add(found.id)
        return self.feed.filter(
            lambda e: e["kind"] == "segment" and (not refs or e["segment_id"] in refs or e["slug"] in refs),
            after, limit)

