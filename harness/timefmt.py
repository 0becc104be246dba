"""RFC 3339 timestamps as Lytics writes them (UTC, microseconds, Z)."""

from __future__ import annotations

import time


def rfc3339(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int((ts % 1) * 1e6):06d}Z"
