"""Built-in FilterQL functions (a subset of qlbridge's builtins plus Lytics' ``daysago``).

Each takes already-evaluated argument values (None = missing) and returns a value or None.
The parser checks names and arity against this table, so a typo fails at parse time, as
qlbridge does ("non existent function"). ``timewindow`` and ``geodistance`` parse but evaluate
to "unknown" (never match): they need Lytics' time buckets / geo index, which a mock lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from . import values as V


class Clock(Protocol):
    def now_ts(self) -> int: ...


Impl = Callable[[list[Any], Clock], Any]


@dataclass(frozen=True)
class FuncSpec:
    name: str
    min_args: int
    max_args: int
    impl: Impl
    uses_now: bool = False


def _str_arg(v: Any) -> str | None:
    if v is None or isinstance(v, list | tuple | set | dict):
        return None
    return V.go_string(v)


def _tolower(a: list[Any], _: Clock) -> Any:
    s = _str_arg(a[0])
    return None if s is None else s.lower()


def _toupper(a: list[Any], _: Clock) -> Any:
    s = _str_arg(a[0])
    return None if s is None else s.upper()


def _tostring(a: list[Any], _: Clock) -> Any:
    return _str_arg(a[0])


def _tonumber(a: list[Any], _: Clock) -> Any:
    v = a[0]
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return v
    return V.loose_number(v) if isinstance(v, str) else None


def _toint(a: list[Any], c: Clock) -> Any:
    n = _tonumber(a, c)
    return None if n is None else int(n)


def _todate(a: list[Any], _: Clock) -> Any:
    e = V.value_epoch(a[0])
    return None if e is None else datetime.fromtimestamp(e, UTC)


def _daysago(a: list[Any], c: Clock) -> Any:
    e = V.value_epoch(a[0])
    return None if e is None else (c.now_ts() - e) // 86400


def _len(a: list[Any], _: Clock) -> Any:
    v = a[0]
    return len(v) if isinstance(v, str | list | tuple | set | Mapping) else None


def _exists(a: list[Any], _: Clock) -> Any:
    return a[0] is not None


def _contains(a: list[Any], _: Clock) -> Any:
    s, sub = _str_arg(a[0]), _str_arg(a[1])
    return None if s is None or sub is None else sub in s


def _hasprefix(a: list[Any], _: Clock) -> Any:
    s, p = _str_arg(a[0]), _str_arg(a[1])
    return None if s is None or p is None else s.startswith(p)


def _hassuffix(a: list[Any], _: Clock) -> Any:
    s, p = _str_arg(a[0]), _str_arg(a[1])
    return None if s is None or p is None else s.endswith(p)


def _email(a: list[Any], _: Clock) -> Any:
    s = _str_arg(a[0])
    if s is None:
        return None
    s = s.strip().lower()
    local, at, host = s.partition("@")
    return s if at and local and "." in host and " " not in s else None


def _emaildomain(a: list[Any], c: Clock) -> Any:
    e = _email(a, c)
    return None if e is None else e.partition("@")[2]


def _domain(a: list[Any], _: Clock) -> Any:
    """Host of a URL (or the part after '@' of an email), without a leading ``www.``."""
    s = _str_arg(a[0])
    if not s:
        return None
    email_like = "@" in s and "/" not in s
    host = s.rpartition("@")[2] if email_like else urlsplit(s if "//" in s else "//" + s).hostname or ""
    host = host.lower().removeprefix("www.")
    return host or None


def _unknown(a: list[Any], _: Clock) -> Any:
    return None


FUNCTIONS: dict[str, FuncSpec] = {
    spec.name: spec
    for spec in (
        FuncSpec("tolower", 1, 1, _tolower),
        FuncSpec("string.lowercase", 1, 1, _tolower),
        FuncSpec("toupper", 1, 1, _toupper),
        FuncSpec("string.uppercase", 1, 1, _toupper),
        FuncSpec("tostring", 1, 1, _tostring),
        FuncSpec("tonumber", 1, 1, _tonumber),
        FuncSpec("toint", 1, 1, _toint),
        FuncSpec("todate", 1, 1, _todate),
        FuncSpec("daysago", 1, 1, _daysago, uses_now=True),
        FuncSpec("len", 1, 1, _len),
        FuncSpec("exists", 1, 1, _exists),
        FuncSpec("contains", 2, 2, _contains),
        FuncSpec("hasprefix", 2, 2, _hasprefix),
        FuncSpec("hassuffix", 2, 2, _hassuffix),
        FuncSpec("email", 1, 1, _email),
        FuncSpec("emaildomain", 1, 1, _emaildomain),
        FuncSpec("domain", 1, 1, _domain),
        FuncSpec("timewindow", 3, 3, _unknown, uses_now=True),
        FuncSpec("geodistance", 3, 3, _unknown),
    )
}
