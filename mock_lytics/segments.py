"""Audience definitions and the membership index with incremental re-evaluation.

A profile change re-evaluates only the segments whose FilterQL reads one of the changed fields, plus every
segment that INCLUDEs one of those (transitively). New profiles and merge survivors are evaluated against every
segment once. Creating or changing a segment evaluates that segment (and its includers) over every profile.
"""

from __future__ import annotations

import base64
import heapq
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_lytics import filterql
from mock_lytics.errors import BadRequest, NotFound
from mock_lytics.timeutil import iso

SLUG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,127}$")
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
ACCOUNT_ID = "mock_account"


@dataclass
class Segment:
    id: str
    slug_name: str
    name: str
    segment_ql: str
    filter: Any = field(repr=False)
    created: float
    updated: float
    description: str = ""
    is_public: bool = False
    tags: list[str] = field(default_factory=list)
    kind: str = "segment"
    table: str = "user"
    fields: frozenset[str] = frozenset()
    includes: frozenset[str] = frozenset()

    def to_api(self, size: int | None = None) -> dict[str, Any]:
        out = {"id": self.id, "account_id": ACCOUNT_ID, "kind": self.kind, "table": self.table,
               "segment_ql": self.segment_ql, "name": self.name, "slug_name": self.slug_name,
               "description": self.description, "is_public": self.is_public, "tags": list(self.tags),
               "created": iso(self.created), "updated": iso(self.updated)}
        if size is not None:
            out["size"] = size
        return out


def parse_ql(text: str, *, statement: bool = True) -> Any:
    """FilterQL text -> Filter; errors become Lytics' "Failed parsing segment QL ..." 400 with line/col."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("Failed parsing segment QL: the statement is empty")
    try:
        flt = filterql.parse(text) if statement else filterql.parse_condition(text)
    except filterql.FilterQLError as exc:
        raise BadRequest(f"Failed parsing segment QL at line {exc.line}, col {exc.col}: {exc.message}") from None
    if (flt.table or "user").lower() != "user":
        raise BadRequest(f"segment FROM {flt.table!r}: only the 'user' table is simulated")
    return flt


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug or "segment"


class Segments:
    """Definitions (by id and slug) plus members per segment and memberships per profile number."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.by_id: dict[str, Segment] = {}
        self.by_slug: dict[str, str] = {}
        self.members: dict[str, set[int]] = {}
        self.memberships: dict[int, set[str]] = {}
        self._field_index: dict[str, set[str]] = {}
        self._includers: dict[str, set[str]] = {}

    # ------------------------------------------------------------------------------------- definitions

    def get(self, ref: str) -> Segment:
        seg = self.find(ref)
        if seg is None:
            raise NotFound(f"segment {ref!r} not found")
        return seg

    def find(self, ref: str) -> Segment | None:
        ref = ref.strip().strip("'\"")
        seg = self.by_id.get(ref)
        if seg is None and ref in self.by_slug:
            seg = self.by_id[self.by_slug[ref]]
        return seg

    def resolve(self, ref: str) -> Any:
        """The Filter an INCLUDE names (slug or id), or None; passed to filterql.evaluate."""
        seg = self.find(ref)
        return seg.filter if seg is not None else None

    def free_slug(self, slug: str) -> str:
        """`slug`, or `slug_1`, `slug_2`, ... : v2 create renames silently instead of failing."""
        candidate, n = slug, 0
        while candidate in self.by_slug:
            n += 1
            candidate = f"{slug}_{n}"
        return candidate

    def put(self, seg: Segment) -> None:
        """Insert or replace a definition (memberships are refreshed by the caller's full evaluation)."""
        for slug in [s for s, sid in self.by_slug.items() if sid == seg.id]:
            del self.by_slug[slug]  # the slug may have changed on this very object
        seg.fields = filterql.referenced_fields(seg.filter)
        seg.includes = filterql.included_segments(seg.filter)
        self.by_id[seg.id] = seg
        self.by_slug[seg.slug_name] = seg.id
        self.members.setdefault(seg.id, set())
        self._reindex()

    def remove(self, seg_id: str) -> Segment:
        seg = self.by_id.pop(seg_id)
        self.by_slug.pop(seg.slug_name, None)
        for num in self.members.pop(seg_id, set()):
            self.memberships.get(num, set()).discard(seg_id)
        self._reindex()
        return seg

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def _reindex(self) -> None:
        self._field_index = {}
        self._includers = {}
        for seg in self.by_id.values():
            for name in seg.fields:
                self._field_index.setdefault(name, set()).add(seg.id)
            for ref in seg.includes:
                target = self.find(ref)
                if target is not None:
                    self._includers.setdefault(target.id, set()).add(seg.id)

    # ------------------------------------------------------------------------------------- membership

    def candidates(self, changed: Iterable[str]) -> set[str]:
        """Segments reading any changed field, closed over "is INCLUDEd by"."""
        found: set[str] = set()
        for name in changed:
            found |= self._field_index.get(name, set())
        return self.with_includers(found)

    def with_includers(self, seg_ids: Iterable[str]) -> set[str]:
        found = set(seg_ids)
        stack = list(found)
        while stack:
            for parent in self._includers.get(stack.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found

    def evaluate(self, fields: Mapping[str, Any], seg_ids: Iterable[str], now: datetime) -> set[str]:
        return {sid for sid in seg_ids
                if filterql.evaluate(self.by_id[sid].filter, fields, now=now, resolve=self.resolve)}

    def apply(self, num: int, evaluated: Iterable[str], matched: set[str]) -> list[tuple[Segment, str]]:
        """Record the outcome of evaluating `evaluated` for profile `num`; return (segment, enter|exit) changes."""
        current = self.memberships.setdefault(num, set())
        changes: list[tuple[Segment, str]] = []
        for sid in sorted(evaluated, key=lambda s: self.by_id[s].created):
            inside = sid in current
            if sid in matched and not inside:
                current.add(sid)
                self.members[sid].add(num)
                changes.append((self.by_id[sid], "enter"))
            elif sid not in matched and inside:
                current.discard(sid)
                self.members[sid].discard(num)
                changes.append((self.by_id[sid], "exit"))
        if not current:
            del self.memberships[num]
        return changes

    def drop_profile(self, num: int) -> list[Segment]:
        """Forget a profile (absorbed by a merge); returns the segments it was in, for exit events."""
        left = [self.by_id[sid] for sid in sorted(self.memberships.pop(num, set()))]
        for seg in left:
            self.members[seg.id].discard(num)
        return left

    def slugs_of(self, num: int) -> list[str]:
        return sorted(self.by_id[sid].slug_name for sid in self.memberships.get(num, ()))

    def size(self, seg_id: str) -> int:
        return len(self.members.get(seg_id, ()))

    def page(self, seg_id: str, start: str | None, limit: int) -> tuple[list[int], str | None]:
        """Members in profile-number order after the cursor: stable while members come and go."""
        after = decode_cursor(start) if start else 0
        nums = heapq.nsmallest(limit + 1, (n for n in self.members.get(seg_id, ()) if n > after))
        more = len(nums) > limit
        nums = nums[:limit]
        return nums, (encode_cursor(nums[-1]) if more and nums else None)


def encode_cursor(num: int) -> str:
    return base64.urlsafe_b64encode(f"after:{num}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, num = raw.partition(":")
        if prefix != "after":
            raise ValueError(prefix)
        return int(num)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"invalid scan cursor 'start={token}': pass the `_next` value of the previous page") from None


def tags_of(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise BadRequest(f"segment 'tags' must be a list of strings, got {value!r}")
    return list(value)


def check_slug(slug: Any) -> str:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise BadRequest(f"segment slug must match {SLUG.pattern}, got {slug!r}")
    return slug
