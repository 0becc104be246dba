"""Selection, logic, aggregate, cast and date builtins (semantics checked against lytics/qlbridge)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .dates import parse_date, parse_with_layout
from .registry import register
from .values import COLLECTIONS, LISTS, SIZED, compare, is_empty, to_bool, to_int, to_number, to_str

# ---- selection and logic -------------------------------------------------------------------------


@register("oneof", args=(2, None))
def oneof(*vals: Any) -> Any:
    """First argument with a non-empty value."""
    for v in vals:
        if not is_empty(v):
            return v
    return None


@register("exists", args=1, kind="bool")
def exists(v: Any) -> bool:
    return not is_empty(v)


@register("len", "char_length", args=1, kind="int")
def length(v: Any) -> int | None:
    if isinstance(v, SIZED):
        return len(v)
    return None


def _cmp(op: str) -> Any:
    def fn(event: Mapping[str, Any], now: datetime | None, a: Any, b: Any) -> bool:
        return compare(op, a, b, now)

    return fn


for _name, _op in (("eq", "=="), ("ne", "!="), ("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
    register(_name, args=2, kind="bool", contextual=True)(_cmp(_op))


@register("any", args=(1, None), kind="bool")
def any_(*vals: Any) -> bool:
    return any(not is_empty(v) for v in vals)


@register("all", args=(1, None), kind="bool")
def all_(*vals: Any) -> bool:
    return all(not is_empty(v) and v is not False for v in vals)


# ---- aggregates: one event's contribution; the profile store merges them (count->sum, others->merge) ----


@register("count", args=1, aggregate="count", kind="int")
def count(v: Any) -> int | None:
    """1 when the value is present, so summing over events counts them."""
    return None if is_empty(v) else 1


def _flat(vals: Iterable[Any]) -> Iterable[str]:
    for v in vals:
        items = v if isinstance(v, COLLECTIONS) else (v,)
        for item in items:
            if not is_empty(item) and not isinstance(item, Mapping):
                s = to_str(item)
                if s:
                    yield s


@register("set", args=(1, None), aggregate="set", kind="[]string")
def set_(*vals: Any) -> list[str] | None:
    """The distinct values (lists flattened) in first-seen order; merged as a set union across events."""
    out = list(dict.fromkeys(_flat(vals)))
    return out or None


@register("valuect", args=(1, None), aggregate="valuect", kind="map[string]int")
def valuect(*vals: Any) -> dict[str, int] | None:
    """{value: occurrences} for this event; merged by adding counts per key."""
    out: dict[str, int] = {}
    for s in _flat(vals):
        out[s] = out.get(s, 0) + 1
    return out or None


@register("map", args=2, aggregate="map", kind="map[string]string")
def map_(key: Any, value: Any) -> dict[str, Any] | None:
    k = to_str(key) if not isinstance(key, (*LISTS, Mapping)) else None
    if not k or is_empty(value):
        return None
    return {k: value}


@register("match", args=(1, None), aggregate="map", kind="map[string]string", contextual=True)
def match(event: Mapping[str, Any], now: datetime | None, *prefixes: Any) -> dict[str, Any] | None:
    """Every event key starting with a prefix, prefix removed: match("user.") -> {"name": .., "city": ..}."""
    out: dict[str, Any] = {}
    for prefix in prefixes:
        if not isinstance(prefix, str) or not prefix:
            continue
        for key, val in event.items():
            if key.startswith(prefix) and not is_empty(val) and len(key) > len(prefix):
                out[key[len(prefix) :]] = val
        nested = event.get(prefix[:-1]) if prefix.endswith(".") else None
        if isinstance(nested, Mapping):  # an un-flattened event: {"user": {"name": ..}}
            for key, val in _flatten(nested, ""):
                out.setdefault(key, val)
    return out or None


def _flatten(m: Mapping[str, Any], base: str) -> Iterable[tuple[str, Any]]:
    for k, v in m.items():
        key = f"{base}{k}"
        if isinstance(v, Mapping):
            yield from _flatten(v, key + ".")
        elif not is_empty(v):
            yield key, v


# ---- casts ------------------------------------------------------------------------------------------


@register("toint", args=1, kind="int")
def toint(v: Any) -> int | None:
    return to_int(v)


@register("tonumber", args=1, kind="number")
def tonumber(v: Any) -> float | None:
    n = to_number(v)
    return None if n is None else float(n)


@register("tobool", args=1, kind="bool")
def tobool(v: Any) -> bool | None:
    return to_bool(v)


@register("tostring", args=1, kind="string")
def tostring(v: Any) -> str | None:
    return to_str(v)


# ---- dates ------------------------------------------------------------------------------------------


@register("now", args=0, kind="date", contextual=True)
def now_(event: Mapping[str, Any], now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


@register("todate", args=(1, 2), kind="date", contextual=True)
def todate(event: Mapping[str, Any], now: datetime | None, *args: Any) -> datetime | None:
    """todate(value) guesses the format; todate(layout, value) uses a Go layout like "01/02/2006".

    qlbridge puts the layout first; todate(value, layout) is accepted too, since the reverse reading is tried
    when the first fails.
    """
    if len(args) == 1:
        return parse_date(args[0], now)
    layout, value = args
    return parse_with_layout(value, layout) or parse_with_layout(layout, value)
