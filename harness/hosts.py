"""Host names the harness treats specially: loopback (plain http allowed, no public exposure)."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str | None) -> bool:
    """`localhost` or a loopback IP literal (brackets allowed: `[::1]`); None or a blank host is not."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
