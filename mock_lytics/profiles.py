"""Profiles: identity lookup, field writes with merge ops, and profile merges.

Identifier fields (and ts[]string fields) keep EVERY value they have seen with its latest event time, in
`Profile.multi`, because after a merge one profile legitimately owns several emails. The exposed value in
`Profile.fields` is the value with the newest event time for scalar types (so `email` stays a string), or all
values newest last for list types. Every identifier value is indexed for lookup.

Values in `Profile.fields` are never mutated in place (merges build new lists/dicts), so a shallow copy of the
dict is a consistent snapshot for the feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_lytics.timeutil import iso
from mock_lytics.values import FieldSpec, coerce, merge_value

DAY_S = 86_400.0


@dataclass
class Profile:
    num: int
    created: float
    modified: float
    first_seen: float
    fields: dict[str, Any] = field(default_factory=dict)
    event_ts: dict[str, float] = field(default_factory=dict)
    field_ts: dict[str, float] = field(default_factory=dict)
    multi: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.num)

    def snapshot(self) -> dict[str, Any]:
        """All fields plus _id/_created/_modified: the JSON-safe profile the API and the feed show."""
        return {**self.fields, "_id": self.id, "_created": iso(self.created), "_modified": iso(self.modified)}


class ProfileStore:
    """All profiles, keyed by `_id`, with the (identifier field, value) -> `_id` index."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self.index: dict[tuple[str, str], str] = {}
        self._next = 1

    def __len__(self) -> int:
        return len(self.profiles)

    def get(self, pid: str) -> Profile | None:
        return self.profiles.get(pid)

    def lookup(self, field_id: str, value: Any) -> Profile | None:
        if field_id == "_id":
            return self.profiles.get(str(value))
        pid = self.index.get((field_id, str(value)))
        return self.profiles.get(pid) if pid is not None else None

    def find(self, keys: Iterable[tuple[str, str]]) -> list[Profile]:
        """Distinct profiles owning any of the identity keys, oldest first (the merge survivor leads)."""
        found: dict[str, Profile] = {}
        for key in keys:
            pid = self.index.get(key)
            if pid is not None and pid not in found:
                found[pid] = self.profiles[pid]
        return sorted(found.values(), key=lambda p: (p.created, p.num))

    def create(self, now: float) -> Profile:
        profile = Profile(num=self._next, created=now, modified=now, first_seen=now)
        self._next += 1
        self.profiles[profile.id] = profile
        return profile

    def ordered_ids(self) -> list[int]:
        return sorted(p.num for p in self.profiles.values())

    # ---------------------------------------------------------------------------------------- writes

    def write(self, profile: Profile, spec: FieldSpec, value: Any, event_ts: float, now: float,
              aggregate: str | None = None) -> bool:
        """Merge one coerced value into the profile; True when the exposed value changed."""
        fid = spec.id
        before = profile.fields.get(fid)
        if spec.multi_valued:
            items = value if isinstance(value, list) else [value]
            values = profile.multi.setdefault(fid, {})
            for item in items:
                key = str(item)
                values[key] = max(values.get(key, event_ts), event_ts)
                if spec.is_identifier:
                    self.index[(fid, key)] = profile.id
            self._expose_multi(profile, spec, now)
        else:
            merged, ts = merge_value(spec, before, profile.event_ts.get(fid), value, event_ts, aggregate=aggregate)
            if spec.capacity and isinstance(merged, list) and len(merged) > spec.capacity:
                merged = merged[-spec.capacity :]
            profile.fields[fid] = merged
            profile.event_ts[fid] = ts
        after = profile.fields.get(fid)
        if after != before:
            profile.field_ts[fid] = now
            profile.modified = now
            return True
        return False

    def _expose_multi(self, profile: Profile, spec: FieldSpec, now: float) -> None:
        values = profile.multi[spec.id]
        if spec.keep_days and not spec.is_identifier:
            horizon = now - spec.keep_days * DAY_S
            for key in [k for k, ts in values.items() if ts < horizon]:
                del values[key]
        ordered = sorted(values, key=lambda k: values[k])  # stable: ties keep insertion order
        if spec.capacity and not spec.is_identifier and len(ordered) > spec.capacity:
            for key in ordered[: -spec.capacity]:
                del values[key]
            ordered = ordered[-spec.capacity :]
        if not ordered:
            profile.fields.pop(spec.id, None)
            profile.event_ts.pop(spec.id, None)
            return
        if spec.type in ("[]string", "[]time", "ts[]string"):
            profile.fields[spec.id] = [coerce("date" if spec.type == "[]time" else "string", k) for k in ordered]
        else:
            profile.fields[spec.id] = coerce(spec.type, ordered[-1])
        profile.event_ts[spec.id] = values[ordered[-1]]

    def identity(self, profile: Profile, identifiers: Iterable[str]) -> dict[str, Any]:
        """Identifier field -> the newest scalar value, for the feed's `identity` (the runner's `origin`)."""
        out: dict[str, Any] = {}
        for fid in identifiers:
            values = profile.multi.get(fid)
            if values:
                out[fid] = max(values, key=lambda k: values[k])
            elif fid in profile.fields and not isinstance(profile.fields[fid], list | dict):
                out[fid] = profile.fields[fid]
        return out

    # ---------------------------------------------------------------------------------------- merges

    def merge(self, survivor: Profile, absorbed: Profile, specs: Mapping[str, FieldSpec], now: float) -> None:
        """Fold `absorbed` into `survivor` field by field with each field's merge op, then drop it."""
        for fid, values in absorbed.multi.items():
            spec = specs.get(fid)
            if spec is None or not spec.multi_valued:
                spec = FieldSpec(id=fid, is_identifier=True)  # the schema changed since: keep every value
            target = survivor.multi.setdefault(fid, {})
            for key, ts in values.items():
                target[key] = max(target.get(key, ts), ts)
                if self.index.get((fid, key)) == absorbed.id:
                    self.index[(fid, key)] = survivor.id
            self._expose_multi(survivor, spec, now)
        for fid, value in absorbed.fields.items():
            if fid in absorbed.multi:
                continue
            spec = specs.get(fid) or FieldSpec(id=fid)
            merged, ts = merge_value(spec, survivor.fields.get(fid), survivor.event_ts.get(fid), value,
                                     absorbed.event_ts.get(fid, absorbed.created))
            survivor.fields[fid] = merged
            survivor.event_ts[fid] = ts
        for fid, ts in absorbed.field_ts.items():
            survivor.field_ts[fid] = max(survivor.field_ts.get(fid, ts), ts)
        survivor.first_seen = min(survivor.first_seen, absorbed.first_seen)
        survivor.created = min(survivor.created, absorbed.created)
        survivor.modified = now
        del self.profiles[absorbed.id]
