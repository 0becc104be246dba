"""The user-field type system: field specs, value coercion per type, and the merge operations.

Mapped values arrive from LQL in whatever shape the expression produced; coercion turns them into the field's
declared type (or None, meaning "no value": Lytics drops values it cannot store rather than failing the event).
Merge operations decide what a field holds when a new value meets an old one, from a new event or from a
profile merge. Times compared by latest/oldest are EVENT times, so out-of-order events are respected.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_lytics.timeutil import iso, parse_time

SCALAR_TYPES = ("string", "int", "number", "bool", "date")
LIST_TYPES = ("[]string", "[]time", "ts[]string")
MAP_TYPES = ("map[string]string", "map[string]int", "map[string]number", "map[string]bool", "map[string]time")
FIELD_TYPES = frozenset(SCALAR_TYPES + LIST_TYPES + MAP_TYPES)
MERGEOPS = frozenset({"latest", "oldest", "min", "max", "merge", "sum"})
# LQL spellings that mean one of the v2 merge ops.
MERGEOP_ALIASES = {"count": "sum", "set": "merge", "union": "merge"}
# LQL KIND names that are not v2 type names.
KIND_ALIASES = {
    "float": "number", "float64": "number", "integer": "int", "int64": "int", "boolean": "bool",
    "time": "date", "datetime": "date", "[]int": "[]string", "map[string]float": "map[string]number",
    "map[string]float64": "map[string]number", "map[string]int64": "map[string]int",
    "map[string]date": "map[string]time",
}


@dataclass(frozen=True)
class FieldSpec:
    """One user field as the identity and merge code needs it."""

    id: str
    type: str = "string"
    mergeop: str | None = None
    is_identifier: bool = False
    is_pii: bool = False
    shortdesc: str = ""
    keep_days: int | None = None
    capacity: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def effective_mergeop(self) -> str:
        return self.mergeop or "latest"

    @property
    def multi_valued(self) -> bool:
        """Identifier fields and ts[]string keep every value with its event time (see profiles.py)."""
        return self.is_identifier or self.type == "ts[]string"

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "shortdesc": self.shortdesc,
            "mergeop": self.mergeop or "",
            "is_identifier": self.is_identifier,
            "is_pii": self.is_pii,
            "keep_days": self.keep_days,
            "capacity": self.capacity,
            **dict(self.extra),
        }


def normalize_type(kind: str | None) -> str | None:
    """A v2 field type from a v2 type or an LQL KIND, or None if unknown."""
    if not kind:
        return None
    k = kind.strip().lower()
    k = KIND_ALIASES.get(k, k)
    return k if k in FIELD_TYPES else None


def normalize_mergeop(op: str | None) -> str | None:
    if not op:
        return None
    o = op.strip().lower()
    o = MERGEOP_ALIASES.get(o, o)
    return o if o in MERGEOPS else None


# --------------------------------------------------------------------------------------------- coercion


def coerce(ftype: str, value: Any) -> Any:
    """`value` as a JSON-safe value of `ftype`, or None when it cannot be one (or is empty)."""
    if value is None:
        return None
    if ftype in LIST_TYPES:
        return _coerce_list(ftype, value)
    if ftype in MAP_TYPES:
        return _coerce_map(ftype, value)
    if isinstance(value, set | frozenset | list | tuple):
        # A list offered to a scalar field: the last element is the most recent value.
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return coerce(ftype, items[-1]) if items else None
    return _coerce_scalar(ftype, value)


def _coerce_scalar(ftype: str, value: Any) -> Any:
    if ftype == "string":
        return _to_string(value)
    if ftype == "int":
        number = _to_number(value)
        return int(number) if number is not None else None
    if ftype == "number":
        return _to_number(value)
    if ftype == "bool":
        return _to_bool(value)
    if ftype == "date":
        ts = parse_time(value)
        return iso(ts) if ts is not None else None
    return _to_string(value)


def _to_string(value: Any) -> str | None:
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return iso(parse_time(value) or 0.0)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _to_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "t", "1", "yes", "y"):
            return True
        if lowered in ("false", "f", "0", "no", "n"):
            return False
    return None


def _coerce_list(ftype: str, value: Any) -> list[Any] | None:
    if isinstance(value, Mapping):
        items: list[Any] = list(value.keys())
    elif isinstance(value, set | frozenset):
        items = sorted(value, key=str)
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    element = "date" if ftype == "[]time" else "string"
    out: list[Any] = []
    for item in items:
        coerced = _coerce_scalar(element, item)
        if coerced is not None and coerced not in out:
            out.append(coerced)
    return out or None


def _coerce_map(ftype: str, value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    element = ftype[len("map[string]") :]
    element = "date" if element == "time" else element
    out = {str(k): v for k, v in ((k, _coerce_scalar(element, v)) for k, v in value.items()) if v is not None}
    return out or None


# --------------------------------------------------------------------------------------------- merging


def merge_value(
    spec: FieldSpec, cur: Any, cur_ts: float | None, new: Any, new_ts: float, *, aggregate: str | None = None
) -> tuple[Any, float]:
    """What the field holds after `new` (event time `new_ts`) meets `cur` (event time `cur_ts`).

    `aggregate` is the LQL aggregate of the mapping that produced `new` ("valuect" counts accumulate per key).
    """
    if cur is None or cur_ts is None:
        return new, new_ts
    op = spec.effective_mergeop
    if op == "latest":
        return (new, new_ts) if new_ts >= cur_ts else (cur, cur_ts)
    if op == "oldest":
        return (new, new_ts) if new_ts < cur_ts else (cur, cur_ts)
    if op in ("min", "max"):
        return _min_max(op, cur, cur_ts, new, new_ts)
    if op == "sum":
        return _sum(spec, cur, cur_ts, new, new_ts)
    return _merge(spec, cur, cur_ts, new, new_ts, aggregate)


def _min_max(op: str, cur: Any, cur_ts: float, new: Any, new_ts: float) -> tuple[Any, float]:
    try:
        take_new = new < cur if op == "min" else new > cur
    except TypeError:
        take_new = new_ts >= cur_ts
    return (new, new_ts) if take_new else (cur, cur_ts)


def _sum(spec: FieldSpec, cur: Any, cur_ts: float, new: Any, new_ts: float) -> tuple[Any, float]:
    if isinstance(cur, dict) and isinstance(new, dict):
        return _sum_maps(cur, new), max(cur_ts, new_ts)
    if _is_number(cur) and _is_number(new):
        total = cur + new
        return (int(total) if spec.type == "int" else total), max(cur_ts, new_ts)
    return (new, new_ts) if new_ts >= cur_ts else (cur, cur_ts)


def _merge(
    spec: FieldSpec, cur: Any, cur_ts: float, new: Any, new_ts: float, aggregate: str | None
) -> tuple[Any, float]:
    ts = max(cur_ts, new_ts)
    if isinstance(cur, list) and isinstance(new, list):
        merged = cur + [item for item in new if item not in cur]
        if spec.capacity:
            merged = merged[-spec.capacity :]
        return merged, ts
    if isinstance(cur, dict) and isinstance(new, dict):
        if aggregate == "valuect":
            return _sum_maps(cur, new), ts
        older, newer = (cur, new) if new_ts >= cur_ts else (new, cur)
        return {**older, **newer}, ts
    return (new, new_ts) if new_ts >= cur_ts else (cur, cur_ts)


def _sum_maps(cur: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(cur)
    for key, value in new.items():
        if _is_number(value) and _is_number(out.get(key)):
            out[key] = out[key] + value
        else:
            out[key] = value
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
