"""Time parsing and formatting shared by collect (timestamp_field), field coercion (date types) and the API.

Everything internal is epoch seconds as float; the API shows RFC 3339 UTC strings.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# Epoch numbers above this are taken as milliseconds (it is the year 5138 in seconds).
_MS_THRESHOLD = 1e11
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
_LAYOUTS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y/%m/%d",
    "%d %b %Y",
    "%b %d %Y",
    "%b %d, %Y",
)


def iso(ts: float) -> str:
    """RFC 3339 UTC with microseconds and a Z, fixed width so that strings sort like times."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # 3x faster than strftime


def parse_time(value: Any) -> float | None:
    """Epoch seconds for the many shapes event times come in, or None when it is not a time.

    Accepts datetimes, epoch seconds or milliseconds (numbers or numeric strings), ISO 8601 / RFC 3339,
    RFC 2822 and a few common layouts (2024-01-31, 01/31/2024, ...). Naive values are taken as UTC.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _aware(value).timestamp()
    if isinstance(value, int | float):
        return _from_number(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _NUMERIC.match(text):
        return _from_number(float(text))
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return _aware(datetime.fromisoformat(candidate)).timestamp()
    except ValueError:
        pass
    for layout in _LAYOUTS:
        try:
            return _aware(datetime.strptime(text, layout)).timestamp()
        except ValueError:
            continue
    try:
        return _aware(parsedate_to_datetime(text)).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _from_number(number: float) -> float | None:
    if not math.isfinite(number):
        return None
    return number / 1000.0 if abs(number) >= _MS_THRESHOLD else number


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
