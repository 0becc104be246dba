"""How one profile value compares with one literal: qlbridge's type matrix, for JSON profiles.

Split from the evaluator so the rules (which are the part people argue about) read on their own.
Every function returns True, False or None ("not ok" in qlbridge: the comparison is meaningless
for these types), and takes a present value; missing values are handled by the caller.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import ast as A
from . import values as V
from .functions import Clock

Result = bool | None
ORD = {"==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt,
       "<=": operator.le}  # fmt: skip
FLIP = {"==": "==", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
ON_MISSING = {"==": False, "!=": True, ">": False, ">=": False, "<": False, "<=": False}
SEQ = (list, tuple, set, frozenset)


def is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str | Mapping | list | tuple | set | frozenset) and len(v) == 0)


def runtime_literal(v: Any) -> A.Literal | None:
    """Wrap a value read from the profile so it can stand on the literal side of a comparison."""
    if isinstance(v, datetime):
        return A.Literal((v if v.tzinfo else v.replace(tzinfo=UTC)).isoformat())
    if v is None or isinstance(v, str | int | float | bool):
        return A.Literal(v)
    return None


def lit_epoch(lit: A.Literal, c: Clock | None) -> int | None:
    if lit.rel is not None:
        return V.resolve_datemath(c.now_ts(), *lit.rel) if c is not None else None
    return lit.epoch


def compare_value(op: str, v: Any, lit: A.Literal, c: Clock | None) -> Result:
    """``v op lit`` for a present value ``v``: the type matrix of qlbridge's evalBinary."""
    t = type(v)
    if t is str:
        if lit.is_date:
            ve = V.parse_date_string(v)
            le = lit_epoch(lit, c)
            if ve is not None and le is not None:
                return ORD[op](ve, le)
        lv = lit.value
        if type(lv) is str:
            if op == "==":
                return v == lv
            if op == "!=":
                return v != lv
            vn = V.loose_number(v)
            return ORD[op](vn, lit.num) if vn is not None and lit.num is not None else None
        if type(lv) is bool:
            b = V.go_bool(v)
            if b is None:
                return False if op == "==" else None
            return ORD[op](b, lv) if op in ("==", "!=") else None
        vn = V.loose_number(v)
        if vn is not None and lit.num is not None:
            return ORD[op](vn, lit.num)
        ve = V.parse_date_string(v)  # a date string against an epoch number
        if ve is not None and lit.epoch is not None:
            return ORD[op](ve, lit.epoch)
        return op == "!="  # qlbridge compares NaN: only != holds
    if t is bool:
        return ORD[op](v, lit.boolean) if lit.boolean is not None and op in ("==", "!=") else None
    if t is int or t is float:
        if lit.num is not None:
            return ORD[op](v, lit.num)
        if lit.is_date:
            ve, le = V.epoch_from_number(v), lit_epoch(lit, c)
            return None if ve is None or le is None else ORD[op](ve, le)
        return None
    if isinstance(v, datetime):
        le = lit_epoch(lit, c)
        return None if le is None else ORD[op](V.epoch_from_datetime(v), le)
    if isinstance(v, SEQ):
        if not v:
            return False
        if lit.is_date or isinstance(next(iter(v)), datetime):
            return any(e is not None and compare_value(op, e, lit, c) is True for e in v)
        return None
    return None


def between_keys(v: Any, lo: A.Literal, hi: A.Literal, c: Clock | None) -> tuple[Any, Any, Any]:
    dates = lo.is_date or hi.is_date
    if isinstance(v, bool):
        return None, None, None
    if isinstance(v, datetime) or (dates and isinstance(v, str | int | float)):
        return V.value_epoch(v), lit_epoch(lo, c), lit_epoch(hi, c)
    if isinstance(v, int | float):
        return v, lo.num, hi.num
    if isinstance(v, str):
        return V.loose_number(v), lo.num, hi.num
    return None, None, None


class Members:
    """A set of values prepared for O(1) membership with qlbridge's cross-type equality."""

    __slots__ = ("bools", "nums", "texts")

    def __init__(self, lits: list[A.Literal]) -> None:
        self.texts = frozenset(lit.text for lit in lits if lit.text is not None)
        self.nums = frozenset(lit.num for lit in lits if lit.num is not None)
        self.bools = frozenset(lit.boolean for lit in lits if lit.boolean is not None)

    def has(self, e: Any) -> bool:
        t = type(e)
        if t is str:
            return e in self.texts
        if t is bool:
            return e in self.bools
        if t is int or t is float:
            return e in self.nums
        return e is not None and V.go_string(e) in self.texts

    def hit(self, v: Any) -> bool:
        t = type(v)
        if t is str:
            return v in self.texts
        if t is list or t is tuple or isinstance(v, SEQ):
            for e in v:  # noqa: SIM110 - a plain loop avoids any()'s generator setup on the hot path
                if self.has(e):
                    return True
            return False
        if t is dict or isinstance(v, Mapping):
            texts = self.texts
            return any(V.go_string(k) in texts for k in v)
        return self.has(v)


def members_of(v: Any) -> Members:
    items = list(v) if isinstance(v, (Mapping, *SEQ)) else [v]
    return Members([lit for e in items if (lit := runtime_literal(e)) is not None])


def contains_value(v: Any, needle: Any) -> Result:
    """``v CONTAINS needle``: substring of a string, or of any element of a list."""
    if needle is None or isinstance(needle, (*SEQ, Mapping)):
        return None
    text = V.go_string(needle)
    if type(v) is str:
        return text in v
    if isinstance(v, SEQ):
        if type(needle) is int:
            return any(type(e) in (int, float) and e == needle for e in v)
        return any(e is not None and text in V.go_string(e) for e in v)
    return None


def like_value(v: Any, rx: re.Pattern[str] | None) -> Result:
    """``v LIKE pattern``: the whole string, or any element of a list, matches the glob."""
    if rx is None:
        return None
    if type(v) is str:
        return rx.fullmatch(v) is not None
    if isinstance(v, SEQ):
        return any(e is not None and rx.fullmatch(V.go_string(e)) is not None for e in v)
    return None
