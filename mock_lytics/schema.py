"""User schema: v2 fields and mappings (draft -> publish), LQL queries (live at once), and the live mapping plan.

Draft rule (documented in docs/mock_lytics.md): `POST /v2/schema/user/field|mapping` edit a DRAFT; nothing
reaches profiles until `POST /v2/schema/user/publish`. LQL queries (`POST /api/query`) are live immediately,
as in real Lytics. The live plan is the published v2 schema overlaid on the queries' fields and mappings:
a v2 field definition wins over a query column of the same name, and a field is an identifier when either
side says so (a query's BY fields always are).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field  # some dataclasses here have a member named `field`
from typing import Any

from mock_lytics import lql
from mock_lytics.collect import STREAM_NAME
from mock_lytics.errors import BadRequest, NotFound
from mock_lytics.timeutil import iso
from mock_lytics.values import FIELD_TYPES, MERGEOPS, FieldSpec, normalize_mergeop, normalize_type

FIELD_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_FIELDS = frozenset({"_id", "_created", "_modified", "segments"})
FIELD_KEYS = frozenset(
    {"id", "type", "shortdesc", "longdesc", "mergeop", "is_identifier", "is_pii", "keep_days", "capacity", "hidden"}
)
MAPPING_KEYS = frozenset({"id", "field", "stream", "expr", "guard_expr"})
_AGG_TYPES = {"count": "int", "set": "[]string", "valuect": "map[string]int", "map": "map[string]string"}


@dataclass(frozen=True)
class MappingDef:
    """One mapping with its expressions compiled; `source` is "schema" or "query:<alias>"."""

    id: str
    field: str
    stream: str
    expr: str
    guard_expr: str | None
    expr_ast: Any = dc_field(compare=False, repr=False)
    guard_ast: Any = dc_field(compare=False, repr=False)
    aggregate: str | None = None
    source: str = "schema"

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "field": self.field, "stream": self.stream, "expr": self.expr,
                "guard_expr": self.guard_expr or "", "source": self.source}


@dataclass(frozen=True)
class QueryDef:
    alias: str
    text: str
    query: Any = dc_field(repr=False)
    fields: tuple[FieldSpec, ...]
    mappings: tuple[MappingDef, ...]
    created: float
    updated: float

    def to_api(self, iso: Callable[[float], str]) -> dict[str, Any]:
        return {"alias": self.alias, "text": self.text, "from": self.query.stream, "into": self.query.table,
                "by": list(self.query.by), "fields": [f.to_api() for f in self.fields],
                "mappings": [m.to_api() for m in self.mappings], "created": iso(self.created),
                "updated": iso(self.updated)}


@dataclass(frozen=True)
class LivePlan:
    """What collect uses: every live field, and the compiled mappings per stream."""

    fields: Mapping[str, FieldSpec]
    by_stream: Mapping[str, tuple[MappingDef, ...]]
    identifiers: tuple[str, ...]


def compile_mapping(body: Mapping[str, Any], *, mapping_id: str, source: str = "schema") -> MappingDef:
    """Parse a mapping's expressions with LQL; parse errors become 400s naming line and column."""
    expr = body.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        raise BadRequest("mapping needs 'expr': an LQL expression such as `email(email)`")
    guard = body.get("guard_expr") or None
    if guard is not None and not isinstance(guard, str):
        raise BadRequest("mapping 'guard_expr' must be a string (an LQL condition) or empty")
    try:
        expr_ast = lql.parse_expr(expr)
    except lql.LQLError as exc:
        raise BadRequest(f"invalid mapping expr at line {exc.line}, col {exc.col}: {exc.message}") from None
    try:
        guard_ast = lql.parse_condition(guard) if guard else None
    except lql.LQLError as exc:
        raise BadRequest(f"invalid mapping guard_expr at line {exc.line}, col {exc.col}: {exc.message}") from None
    return MappingDef(id=mapping_id, field=str(body["field"]), stream=str(body["stream"]), expr=expr,
                      guard_expr=guard, expr_ast=expr_ast, guard_ast=guard_ast,
                      aggregate=lql.aggregate_of(expr_ast), source=source)


def parse_field(body: Mapping[str, Any], *, path_id: str | None = None) -> FieldSpec:
    """Validate one v2 field body (a full replace) into a FieldSpec."""
    if not isinstance(body, Mapping):
        raise BadRequest("field body must be a JSON object")
    unknown = sorted(set(body) - FIELD_KEYS)
    if unknown:
        raise BadRequest(f"unknown field attribute(s) {unknown}; expected some of {sorted(FIELD_KEYS)}")
    fid = body.get("id", path_id)
    if path_id is not None and fid != path_id:
        raise BadRequest(f"field id in body {fid!r} does not match the URL {path_id!r}")
    if not isinstance(fid, str) or not FIELD_ID.match(fid):
        raise BadRequest(f"field 'id' must match {FIELD_ID.pattern}, got {fid!r}")
    if fid in RESERVED_FIELDS:
        raise BadRequest(f"field id {fid!r} is reserved")
    ftype = body.get("type", "string")
    if ftype not in FIELD_TYPES:
        raise BadRequest(f"field {fid!r}: unknown type {ftype!r}; expected one of {sorted(FIELD_TYPES)}")
    flags = {k: body.get(k, False) for k in ("is_identifier", "is_pii", "hidden")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise BadRequest(f"field {fid!r}: {key!r} must be true or false, got {value!r}")
    raw_op = body.get("mergeop") or None
    if raw_op is not None and flags["is_identifier"]:
        raise BadRequest(f"field {fid!r} is an identifier and must not carry a mergeop (got {raw_op!r})")
    if raw_op is not None and (not isinstance(raw_op, str) or raw_op.lower() not in MERGEOPS):
        raise BadRequest(f"field {fid!r}: unknown mergeop {raw_op!r}; expected one of {sorted(MERGEOPS)}")
    limits: dict[str, int | None] = {}
    for key in ("keep_days", "capacity"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise BadRequest(f"field {fid!r}: {key!r} must be a positive integer or null, got {value!r}")
        limits[key] = value
    for key in ("shortdesc", "longdesc"):
        if body.get(key) is not None and not isinstance(body.get(key), str):
            raise BadRequest(f"field {fid!r}: {key!r} must be a string")
    extra = {k: body[k] for k in ("longdesc", "hidden") if k in body}
    return FieldSpec(id=fid, type=ftype, mergeop=raw_op.lower() if raw_op else None,
                     is_identifier=flags["is_identifier"], is_pii=flags["is_pii"],
                     shortdesc=body.get("shortdesc") or "", keep_days=limits["keep_days"],
                     capacity=limits["capacity"], extra=extra)


class Schema:
    """Fields, mappings, queries and publish history for the one supported table, `user`."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self.draft_fields: dict[str, FieldSpec] = {}
        self.draft_mappings: dict[str, MappingDef] = {}
        self.published_fields: dict[str, FieldSpec] = {}
        self.published_mappings: dict[str, MappingDef] = {}
        self.queries: dict[str, QueryDef] = {}
        self.history: list[dict[str, Any]] = []
        self.plan = LivePlan({}, {}, ())

    # ------------------------------------------------------------------------------------------ v2 fields

    def upsert_field(self, body: Mapping[str, Any], *, path_id: str | None = None) -> FieldSpec:
        spec = parse_field(body, path_id=path_id)
        self.draft_fields[spec.id] = spec
        return spec

    def get_field(self, fid: str) -> FieldSpec:
        spec = self.draft_fields.get(fid) or self.plan.fields.get(fid)
        if spec is None:
            raise NotFound(f"field {fid!r} not found")
        return spec

    def delete_field(self, fid: str) -> None:
        if fid not in self.draft_fields:
            raise NotFound(f"field {fid!r} not found in the v2 schema")
        users = sorted(m.id for m in self.draft_mappings.values() if m.field == fid)
        if users:
            raise BadRequest(f"field {fid!r} still has mapping(s) {users}; delete them first")
        del self.draft_fields[fid]

    def list_fields(self) -> list[dict[str, Any]]:
        """The working schema: draft v2 fields (with `published`) then fields only the LQL queries define."""
        out = []
        for spec in self.draft_fields.values():
            live = self.plan.fields.get(spec.id)
            published = self.published_fields.get(spec.id) == spec
            out.append({**spec.to_api(), "is_identifier": spec.is_identifier or bool(live and live.is_identifier),
                        "published": published, "source": "schema"})
        for alias, query in self.queries.items():
            for spec in query.fields:
                if spec.id not in self.draft_fields and all(o["id"] != spec.id for o in out):
                    out.append({**spec.to_api(), "published": True, "source": f"query:{alias}"})
        return out

    # ------------------------------------------------------------------------------------------ v2 mappings

    def upsert_mapping(self, body: Mapping[str, Any]) -> MappingDef:
        if not isinstance(body, Mapping):
            raise BadRequest("mapping body must be a JSON object")
        unknown = sorted(set(body) - MAPPING_KEYS)
        if unknown:
            raise BadRequest(f"unknown mapping attribute(s) {unknown}; expected some of {sorted(MAPPING_KEYS)}")
        fid, stream = body.get("field"), body.get("stream")
        if not isinstance(fid, str) or (fid not in self.draft_fields and fid not in self.plan.fields):
            raise BadRequest(f"mapping 'field' {fid!r} is not a field of the user schema; create the field first")
        if not isinstance(stream, str) or not STREAM_NAME.match(stream):
            raise BadRequest(f"mapping 'stream' must be a stream name matching {STREAM_NAME.pattern}, got {stream!r}")
        existing = self._mapping_for(body)
        if existing is not None and existing.stream != stream:
            raise BadRequest(f"mapping {existing.id}: the stream cannot change ({existing.stream!r} -> {stream!r})")
        mapping = compile_mapping(body, mapping_id=existing.id if existing else secrets.token_hex(16))
        self.draft_mappings[mapping.id] = mapping
        return mapping

    def _mapping_for(self, body: Mapping[str, Any]) -> MappingDef | None:
        if body.get("id"):
            found = self.draft_mappings.get(str(body["id"]))
            if found is None:
                raise NotFound(f"mapping {body['id']!r} not found")
            return found
        for m in self.draft_mappings.values():
            if (m.field, m.stream, m.expr) == (body.get("field"), body.get("stream"), body.get("expr")):
                return m
        return None

    def delete_mapping(self, mid: str) -> None:
        if self.draft_mappings.pop(mid, None) is None:
            raise NotFound(f"mapping {mid!r} not found")

    def list_mappings(self) -> list[dict[str, Any]]:
        out = [{**m.to_api(), "published": self.published_mappings.get(m.id) == m}
               for m in self.draft_mappings.values()]
        out += [{**m.to_api(), "published": True} for q in self.queries.values() for m in q.mappings]
        return out

    # ------------------------------------------------------------------------------------------ publish

    def publish(self, tag: str | None, description: str | None) -> dict[str, Any]:
        self.published_fields = dict(self.draft_fields)
        self.published_mappings = dict(self.draft_mappings)
        entry = {"version": len(self.history) + 1, "tag": tag or "", "description": description or "",
                 "published": iso(self._clock()), "fields": len(self.published_fields),
                 "mappings": len(self.published_mappings)}
        self.history.append(entry)
        self.rebuild()
        return entry

    def draft_pending(self) -> bool:
        return self.draft_fields != self.published_fields or self.draft_mappings != self.published_mappings

    # ------------------------------------------------------------------------------------------ LQL queries

    def compile_query(self, text: str) -> QueryDef:
        """Parse an LQL statement into fields + mappings (not stored); 400 with line/col on errors."""
        try:
            query = lql.parse(text)
        except lql.LQLError as exc:
            raise BadRequest(f"LQL parse error at line {exc.line}, col {exc.col}: {exc.message}") from None
        if query.table.lower() != "user":
            raise BadRequest(f"LQL INTO {query.table!r}: only the 'user' table is simulated")
        if not STREAM_NAME.match(query.stream):
            raise BadRequest(f"LQL FROM {query.stream!r} is not a valid stream name")
        by = set(query.identity_fields())
        specs: dict[str, FieldSpec] = {}
        mappings = []
        for i, raw in enumerate(lql.query_mappings(query)):
            mapping = compile_mapping(raw, mapping_id=f"{query.alias}:{i}", source=f"query:{query.alias}")
            mappings.append(mapping)
            if mapping.field not in specs:
                specs[mapping.field] = _query_field(raw, mapping, mapping.field in by)
        for fid in query.identity_fields():
            specs.setdefault(fid, FieldSpec(id=fid, is_identifier=True))
        now = self._clock()
        return QueryDef(query.alias, text, query, tuple(specs.values()), tuple(mappings), now, now)

    def upsert_query(self, text: str) -> QueryDef:
        compiled = self.compile_query(text)
        previous = self.queries.get(compiled.alias)
        if previous is not None:
            compiled = replace(compiled, created=previous.created)
        self.queries[compiled.alias] = compiled
        self.rebuild()
        return compiled

    def get_query(self, alias: str) -> QueryDef:
        if alias not in self.queries:
            raise NotFound(f"query {alias!r} not found")
        return self.queries[alias]

    def delete_query(self, alias: str) -> None:
        self.get_query(alias)
        del self.queries[alias]
        self.rebuild()

    # ------------------------------------------------------------------------------------------ live plan

    def rebuild(self) -> None:
        """Recompute the live plan from the published schema and the queries."""
        fields: dict[str, FieldSpec] = {}
        query_ids: set[str] = set()
        for query in self.queries.values():
            for spec in query.fields:
                fields.setdefault(spec.id, spec)
                if spec.is_identifier:
                    query_ids.add(spec.id)
        for spec in self.published_fields.values():
            fields[spec.id] = spec
        for fid in query_ids:
            if not fields[fid].is_identifier:
                fields[fid] = replace(fields[fid], is_identifier=True, mergeop=None)
        by_stream: dict[str, list[MappingDef]] = {}
        for mapping in [*self.published_mappings.values(), *(m for q in self.queries.values() for m in q.mappings)]:
            if mapping.field in fields:
                by_stream.setdefault(mapping.stream, []).append(mapping)
        identifiers = tuple(sorted(f.id for f in fields.values() if f.is_identifier))
        self.plan = LivePlan(fields, {k: tuple(v) for k, v in by_stream.items()}, identifiers)

    def summary(self) -> dict[str, Any]:
        return {"table": "user", "version": len(self.history), "draft_pending": self.draft_pending(),
                "fields": len(self.plan.fields), "identifiers": list(self.plan.identifiers),
                "streams": sorted(self.plan.by_stream), "queries": sorted(self.queries),
                "history": list(self.history)}


def _query_field(raw: Mapping[str, Any], mapping: MappingDef, is_by: bool) -> FieldSpec:
    kind = raw.get("kind")
    ftype = normalize_type(kind) if kind else _AGG_TYPES.get(mapping.aggregate or "", "string")
    if ftype is None:
        raise BadRequest(f"LQL column {mapping.field!r}: unknown KIND {kind!r}; expected one of {sorted(FIELD_TYPES)}")
    op = raw.get("mergeop")
    mergeop = normalize_mergeop(op) if op else None
    if op and mergeop is None:
        raise BadRequest(f"LQL column {mapping.field!r}: unknown MERGEOP {op!r}; expected one of {sorted(MERGEOPS)}")
    return FieldSpec(id=mapping.field, type=ftype, mergeop=None if is_by else mergeop, is_identifier=is_by)
