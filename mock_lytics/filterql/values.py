"""Coercions between profile values and literals: numbers, booleans, dates, LIKE patterns.

Lytics profiles carry schema types; our profiles are plain JSON, so these helpers decide what a
value *means* from its shape (an RFC3339 string is a date, "50" is a number), the way qlbridge's
``value`` package coerces one side of a comparison to the type of the other.
Dates are compared as whole epoch seconds, as qlbridge compares ``time.Unix()``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

_STRICT_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INT = re.compile(r"[+-]?\d+", re.ASCII)
_MONEY = str.maketrans("", "", "$,£€ ")  # qlbridge strips these before giving up on a number
_DATEMATH = re.compile(r"now(?:([+-]\d+)([yMwdhms]))?", re.ASCII)  # lytics/datemath: lower-case "now", exact units
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?", re.ASCII)
_SLASH_ISO = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})", re.ASCII)
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_MIN_YEAR, _MAX_YEAR = 1800, 2120  # qlbridge rejects epoch numbers outside these years
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def strict_number(s: str) -> int | float | None:
    """Parse a literal the way Go's strconv does (no currency symbols); None if not a number."""
    if not _STRICT_NUMBER.fullmatch(s):
        return None
    return int(s) if _INT.fullmatch(s) else float(s)


def loose_number(s: str) -> float | None:
    """Parse a profile string as a number, tolerating "$1,200" as qlbridge does."""
    if _STRICT_NUMBER.fullmatch(s):
        return float(s)
    cleaned = s.translate(_MONEY)
    return float(cleaned) if cleaned and _STRICT_NUMBER.fullmatch(cleaned) else None


def go_bool(s: str) -> bool | None:
    """strconv.ParseBool: the only strings that count as booleans."""
    if s in _GO_TRUE:
        return True
    if s in _GO_FALSE:
        return False
    return None


def go_string(v: Any) -> str:
    """The text qlbridge compares against (``Value.ToString``): 5.0 -> "5", True -> "true"."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return str(v)


def epoch_from_number(n: float) -> int | None:
    """Epoch number -> seconds. Magnitude picks the unit (s, ms, us, ns); absurd years are rejected."""
    if isinstance(n, bool) or not math.isfinite(n):
        return None
    a = abs(n)
    secs = n / 1e9 if a >= 1e17 else n / 1e6 if a >= 1e14 else n / 1e3 if a >= 1e11 else n
    secs_i = math.floor(secs)
    # Year range check without building a datetime for the common case.
    if not -5_364_662_400 <= secs_i <= 4_733_510_400:  # 1800-01-01 .. 2120-01-01
        return None
    return secs_i


def epoch_from_datetime(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return math.floor(dt.timestamp())


def datemath(s: str) -> tuple[int, str] | None:
    """ "now-3d" -> (-3, "d"); "now" -> (0, "s"); anything else -> None."""
    m = _DATEMATH.fullmatch(s)
    if m is None:
        return None
    if m.group(1) is None:
        return (0, "s")
    return (int(m.group(1)), m.group(2))


@lru_cache(maxsize=4096)
def resolve_datemath(now_ts: int, amount: int, unit: str) -> int:
    """Apply date math to an anchor (epoch seconds). Months/years follow Go's AddDate overflow rules."""
    if unit in _UNIT_SECONDS:
        return now_ts + amount * _UNIT_SECONDS[unit]
    anchor = datetime.fromtimestamp(now_ts, UTC)
    months = amount * (12 if unit == "y" else 1)
    y, m0 = divmod(anchor.month - 1 + months, 12)
    first = date(anchor.year + y, m0 + 1, 1)
    day = first + timedelta(days=anchor.day - 1)  # Jan 31 + 1M -> Mar 3 (2 or 3), like Go
    moved = datetime.combine(day, anchor.timetz())
    return epoch_from_datetime(moved)


@lru_cache(maxsize=8192)
def parse_date_string(s: str) -> int | None:
    """A date/time string -> epoch seconds, or None. Naive times are taken as UTC.

    Accepts ISO 8601/RFC3339 (``2015-04-01``, ``2015-04-01 00:00:00Z``, ``...T10:00:00.123+02:00``),
    US ``12/18/2015 [10:30[:00] [PM]]``, ``2015/12/18`` and RFC 1123/2822. Pure numbers and date math
    are not handled here: their meaning depends on the other side of the comparison.
    """
    s = s.strip()
    if len(s) < 8 or (not s[0].isdigit() and not s[:3].isalpha()):
        return None
    try:
        return epoch_from_datetime(datetime.fromisoformat(s))
    except ValueError:
        pass
    m = _US_DATE.fullmatch(s)
    if m:
        mon, day, year, hh, mm, ss, ampm = m.groups()
        hour = int(hh or 0)
        if ampm:
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        try:
            return epoch_from_datetime(datetime(int(year), int(mon), int(day), hour, int(mm or 0), int(ss or 0)))
        except ValueError:
            return None
    m = _SLASH_ISO.fullmatch(s)
    if m:
        try:
            return epoch_from_datetime(datetime(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            return None
    if s[:3].isalpha():
        try:
            return epoch_from_datetime(parsedate_to_datetime(s))
        except (TypeError, ValueError, IndexError):
            return None
    return None


def value_epoch(v: Any) -> int | None:
    """A profile value read as a point in time: datetime, epoch number, or date/number string."""
    if isinstance(v, datetime):
        return epoch_from_datetime(v)
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return epoch_from_number(v)
    if isinstance(v, str):
        found = parse_date_string(v)
        if found is not None:
            return found
        n = strict_number(v)
        return epoch_from_number(n) if n is not None else None
    if isinstance(v, date):
        return epoch_from_datetime(datetime(v.year, v.month, v.day))
    return None


def like_regex(pattern: str) -> re.Pattern[str] | None:
    """Translate a LIKE pattern with qlbridge's glob rules; None if the pattern is malformed.

    ``%`` is first rewritten to ``*`` (qlbridge does this). Then, as github.com/mb0/glob:
    ``*`` = any run of characters except '/', ``**`` = any run, ``?`` = one non-'/' character,
    ``[a-z]`` / ``[^a-z]`` classes, ``\\x`` a literal x. The match is anchored and case-sensitive.
    """
    p = pattern.replace("%", "*")
    out: list[str] = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "*":
            j = i
            while j < len(p) and p[j] == "*":
                j += 1
            out.append(".*" if j - i > 1 else "[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "\\":
            if i + 1 >= len(p):
                return None
            out.append(re.escape(p[i + 1]))
            i += 2
        elif c == "[":
            end = p.find("]", i + 2 if p.startswith("[^", i) else i + 1)
            if end < 0:
                return None
            body = p[i + 1 : end]
            neg = body.startswith("^")
            body = body[1:] if neg else body
            if not body:
                return None
            out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None
