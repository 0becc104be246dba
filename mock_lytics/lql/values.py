"""Value coercion and comparison rules shared by operators and functions.

Stream values arrive loosely typed (numbers as strings, dates as strings, lists for sets), so every operator
coerces the way qlbridge's VM does: a number compared with a numeric string compares as numbers, a list on
the left matches when any element does, and a missing value (None) makes comparisons false except `!=`.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from .dates import parse_date

# isinstance() with a tuple: `X | Y` unions are rebuilt on every call and cost ~4x on this hot path.
SIZED = (str, list, tuple, dict, set, frozenset)
COLLECTIONS = (list, tuple, set, frozenset)
LISTS = (list, tuple)
NUMBERS = (int, float)

_BOOL_STRINGS = {
    "1": True, "t": True, "T": True, "true": True, "TRUE": True, "True": True,
    "0": False, "f": False, "F": False, "false": False, "FALSE": False, "False": False,
}  # fmt: skip (the set Go's strconv.ParseBool accepts)
_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ORDER_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def is_empty(v: Any) -> bool:
    """No value: None, "", or an empty list/map. Lytics never stores these on a profile."""
    if v is None:
        return True
    if isinstance(v, SIZED):
        return len(v) == 0
    return False


def is_number(v: Any) -> bool:
    return isinstance(v, NUMBERS) and not isinstance(v, bool)


def to_str(v: Any) -> str | None:
    """A value's string form, formatted the way Go's qlbridge prints it (`true`, `3`, `1.5`)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, COLLECTIONS):
        return ",".join(s for s in (to_str(x) for x in v) if s is not None)
    if isinstance(v, Mapping):
        return json.dumps(v, sort_keys=True, default=str)
    return str(v)


def first_str(v: Any) -> str | None:
    """The string a one-value function works on: a list gives its first element (as qlbridge does)."""
    if type(v) is str:  # the common case, ahead of the slower ABC isinstance checks below
        return v or None
    if isinstance(v, LISTS):
        v = v[0] if v else None
    if v is None or isinstance(v, Mapping):
        return None
    s = to_str(v)
    return s if s else None


def to_number(v: Any) -> int | float | None:
    """int or float from a number or numeric string; None for anything else (including bools, NaN)."""
    if is_number(v):
        return v if math.isfinite(v) else None
    if isinstance(v, str):
        s = v.strip()
        if not _NUMERIC.fullmatch(s):
            return None
        try:
            return int(s)
        except ValueError:
            f = float(s)
            return f if math.isfinite(f) else None
    return None


def to_int(v: Any) -> int | None:
    """Truncating integer conversion; a date becomes epoch milliseconds (qlbridge's TimeValue.Int)."""
    if isinstance(v, datetime):
        return int(v.timestamp() * 1000)
    n = to_number(v)
    return None if n is None else int(n)


def to_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if is_number(v):
        return v != 0
    if isinstance(v, str):
        return _BOOL_STRINGS.get(v.strip())
    return None


def equals(a: Any, b: Any, now: datetime | None = None) -> bool:
    """Loose equality: numbers vs numeric strings, bools vs bool strings, dates vs date strings."""
    if a is None or b is None:
        return False
    if type(a) is type(b) and not isinstance(a, (float, datetime)):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) is not None and to_bool(a) == to_bool(b)
    if is_number(a) or is_number(b):
        na, nb = to_number(a), to_number(b)
        return na is not None and nb is not None and na == nb
    if isinstance(a, datetime) or isinstance(b, datetime):
        da, db = parse_date(a, now), parse_date(b, now)
        return da is not None and db is not None and da == db
    return bool(a == b)


def _order(op: str, a: Any, b: Any, now: datetime | None) -> bool:
    fn = _ORDER_OPS[op]
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, Mapping) or isinstance(b, Mapping):
        return False
    if isinstance(a, datetime) or isinstance(b, datetime) or _is_datemath(a) or _is_datemath(b):
        da, db = parse_date(a, now), parse_date(b, now)
        return da is not None and db is not None and fn(da, db)
    na, nb = to_number(a), to_number(b)
    if na is not None and nb is not None:
        return fn(na, nb)
    if isinstance(a, str) and isinstance(b, str):
        return fn(a, b)
    return False


def _is_datemath(v: Any) -> bool:
    return isinstance(v, str) and v[:3].lower() == "now"


def compare(op: str, a: Any, b: Any, now: datetime | None = None) -> bool:
    """`a op b` for == != < <= > >=; a list on the left matches when any element does.

    `now` anchors "now-1d" style operands (default: the wall clock).
    """
    if a is None or b is None:
        # qlbridge: a missing side makes != true (they are "not equal") and every other comparison false.
        return op == "!=" and (a is not None or b is not None)
    if isinstance(a, COLLECTIONS) and not isinstance(b, LISTS):
        if op == "!=":
            return not any(equals(x, b, now) for x in a)
        return any(compare(op, x, b, now) for x in a if x is not None)
    if op == "==":
        return equals(a, b, now)
    if op == "!=":
        return not equals(a, b, now)
    return _order(op, a, b, now)


def arith(op: str, a: Any, b: Any) -> int | float | None:
    na, nb = to_number(a), to_number(b)
    if na is None or nb is None:
        return None
    if op == "+":
        return na + nb
    if op == "-":
        return na - nb
    if op == "*":
        return na * nb
    if nb == 0:
        return None
    return na / nb if op == "/" else na % nb


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """LIKE pattern -> regex: `*` and `%` match any run, `?` one character, `\\*` a literal star."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch in "*%" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def like(value: Any, pattern: Any) -> bool:
    if value is None or not isinstance(pattern, str):
        return False
    rx = glob_regex(pattern)
    if isinstance(value, COLLECTIONS):
        return any(rx.fullmatch(s) for s in (to_str(x) for x in value) if s is not None)
    s = to_str(value)
    return s is not None and rx.fullmatch(s) is not None


def contains(value: Any, needle: Any) -> bool:
    """Substring test; for a list, any element containing it; for a map, any key containing it."""
    sub = to_str(needle)
    if value is None or sub is None or sub == "":
        return False
    if isinstance(value, Mapping):
        return any(sub in str(k) for k in value)
    if isinstance(value, COLLECTIONS):
        return any(sub in s for s in (to_str(x) for x in value) if s is not None)
    s = to_str(value)
    return s is not None and sub in s


def in_list(value: Any, items: list[Any]) -> bool:
    """`value IN (items)`: a list value intersects, a map value tests its keys, a scalar tests membership."""
    if value is None:
        return False
    if isinstance(value, Mapping):
        value = list(value.keys())
    if isinstance(value, COLLECTIONS):
        return any(equals(v, it) for v in value for it in items)
    return any(equals(value, it) for it in items)


def coerce_kind(value: Any, kind: str, now: datetime | None = None) -> Any:
    """Cast a column value to its KIND ("KIND INT -- cast field as int"); what cannot be cast is None."""
    if value is None:
        return None
    if kind.startswith("map["):
        if not isinstance(value, Mapping):
            return None
        inner = kind[kind.index("]") + 1 :]
        out = {str(k): coerce_kind(v, inner, now) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None} or None
    if kind.startswith(("[]", "ts[]")):
        inner = kind[kind.index("]") + 1 :]
        items = value if isinstance(value, COLLECTIONS) else [value]
        cast = [coerce_kind(v, inner, now) for v in items]
        return [v for v in cast if v is not None] or None
    if isinstance(value, LISTS):  # a list into a scalar field keeps its first element
        value = value[0] if value else None
    return _SCALAR_CASTS.get(kind, _keep)(value, now)


def _keep(v: Any, now: datetime | None) -> Any:
    return v


def _to_float(v: Any, now: datetime | None) -> float | None:
    n = to_number(v)
    return None if n is None else float(n)


_SCALAR_CASTS: dict[str, Callable[[Any, datetime | None], Any]] = {
    "string": lambda v, now: to_str(v) or None,
    "int": lambda v, now: to_int(v),
    "number": _to_float,
    "bool": lambda v, now: to_bool(v),
    "date": parse_date,
    "time": parse_date,
}
