"""Date parsing for `todate()`, `now()` and date comparisons.

Lytics accepts many date spellings (qlbridge uses araddon/dateparse) and "now-3d" date math (lytics/datemath),
and `todate(layout, value)` takes a *Go* reference layout such as "01/02/2006". This module covers the common
spellings, epoch numbers by magnitude, date math, and translates Go layouts to strptime. Every result is a
timezone-aware UTC datetime; anything unparseable is None.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

_FORMATS = (
    "%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p",
    "%m/%d/%y", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S %z",
    "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%d-%b-%Y", "%b %d, %Y %H:%M:%S",
    "%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %Z %Y", "%Y%m%d", "%Y%m%d%H%M%S",
)  # fmt: skip
_TRAILING_ZONE_NAME = re.compile(r"^(.*[+-]\d{4}) [A-Z]{3,5}$")  # Go's time.String(): "... +0000 UTC"
_DATEMATH_STEP = re.compile(r"([+-])(\d+)([smhdwMy])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Go layout elements, longest first where one is a prefix of another ("2006" before "2", "01" before "1").
_GO_TABLE = (
    "January=%B Jan=%b Monday=%A Mon=%a MST=%Z 2006=%Y Z07:00=%z Z0700=%z -07:00=%z -0700=%z "
    ".000000=.%f .999999=.%f .000=.%f .999=.%f 01=%m 02=%d _2=%d 15=%H 03=%I 04=%M 05=%S 06=%y "
    "PM=%p pm=%p 1=%m 2=%d 3=%I 4=%M 5=%S"
)
_GO_ELEMENTS = tuple(tuple(pair.split("=", 1)) for pair in _GO_TABLE.split())


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def from_epoch(n: float) -> datetime | None:
    """Epoch number -> datetime, choosing s / ms / us / ns by magnitude as dateparse does by digit count."""
    a = abs(n)
    scale = 1 if a < 1e11 else 1e3 if a < 1e14 else 1e6 if a < 1e17 else 1e9
    try:
        return datetime.fromtimestamp(n / scale, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def datemath(expr: str, now: datetime) -> datetime | None:
    """`now`, `now-3d`, `now+1h-30m`, `now-1M/d` (units s m h d w M y; `/unit` rounds down)."""
    s = expr.strip()
    if s[:3].lower() != "now":
        return None
    s, t, pos = s[3:], _utc(now), 0
    while pos < len(s) and s[pos] in "+-":
        m = _DATEMATH_STEP.match(s, pos)
        if m is None:
            return None
        sign, qty, unit = (-1 if m.group(1) == "-" else 1), int(m.group(2)), m.group(3)
        moved = _add(t, sign * qty, unit)
        if moved is None:
            return None
        t, pos = moved, m.end()
    if pos < len(s):
        if s[pos] != "/" or pos + 2 != len(s) or s[pos + 1] not in "smhdwMy":
            return None
        t = _round_down(t, s[pos + 1])
    return t


def _add(t: datetime, qty: int, unit: str) -> datetime | None:
    try:
        if unit in _UNIT_SECONDS:
            return t + timedelta(seconds=qty * _UNIT_SECONDS[unit])
        months = qty * (12 if unit == "y" else 1)
        y, m = divmod(t.month - 1 + months, 12)
        year, month = t.year + y, m + 1
        return t.replace(year=year, month=month, day=min(t.day, calendar.monthrange(year, month)[1]))
    except (OverflowError, ValueError):
        return None


def _round_down(t: datetime, unit: str) -> datetime:
    if unit == "w":
        t = t - timedelta(days=t.weekday())
        unit = "d"
    fields = {"y": 1, "M": 2, "d": 3, "h": 4, "m": 5, "s": 6}[unit]
    parts = [t.year, t.month, t.day, t.hour, t.minute, t.second]
    parts[fields:] = [1, 1, 0, 0, 0, 0][fields:]
    return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], tzinfo=UTC)


def parse_date(v: Any, now: datetime | None = None) -> datetime | None:
    """Best-effort datetime from a datetime, epoch number, date string or `now-...` expression."""
    if isinstance(v, datetime):
        return _utc(v)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return from_epoch(v)
    if not isinstance(v, str):
        return None
    s = v.strip()
    if not s:
        return None
    if s[:3].lower() == "now":
        return datemath(s, now or datetime.now(UTC))
    if s.isdigit():
        if len(s) in (8, 14):
            return _strptime(s, "%Y%m%d" if len(s) == 8 else "%Y%m%d%H%M%S")
        return from_epoch(int(s))
    try:
        return _utc(datetime.fromisoformat(s))
    except ValueError:
        pass
    zoned = _TRAILING_ZONE_NAME.match(s)
    if zoned:
        s = zoned.group(1)
    for fmt in _FORMATS:
        dt = _strptime(s, fmt)
        if dt is not None:
            return dt
    try:
        return _utc(parsedate_to_datetime(s))
    except (TypeError, ValueError, IndexError):
        return None


def _strptime(s: str, fmt: str) -> datetime | None:
    try:
        return _utc(datetime.strptime(s, fmt))
    except (ValueError, re.error):  # re.error: a layout repeating a directive ("02/02")
        return None


@lru_cache(maxsize=256)
def go_layout_to_strptime(layout: str) -> str:
    """Translate a Go reference layout ("01/02/2006 15:04") to strptime; a layout with `%` is used as is."""
    if "%" in layout:
        return layout
    out, i = [], 0
    while i < len(layout):
        for element, directive in _GO_ELEMENTS:
            if layout.startswith(element, i):
                out.append(directive)
                i += len(element)
                break
        else:
            out.append(layout[i])
            i += 1
    return "".join(out)


def parse_with_layout(value: Any, layout: Any) -> datetime | None:
    """`todate(layout, value)`: parse `value` with an explicit Go (or strptime) layout."""
    if not isinstance(value, str) or not isinstance(layout, str) or not layout:
        return None
    return _strptime(value.strip(), go_layout_to_strptime(layout))
