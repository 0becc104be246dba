"""The stack as a service for other hosts and containers: bind address vs public host, secrets from the
environment, a loud warning beyond loopback, and the one ready-file schema `serve` and `mock` share (written
atomically, mode 0600).

The bind address (`--host`) is where sockets listen; the public host (`--public-host`) is the name other hosts
use, so every URL written for others (ready file, /__admin/health) is built on it. Binding 0.0.0.0 without a
public host keeps loopback URLs, which work on this machine only.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.hosts import is_loopback
from harness.ready import AnsiraEndpoint, LyticsEndpoint
from harness.redact import REDACTOR

log = logging.getLogger("harness.service")

READY_SCHEMA_VERSION = 1
# Keys every ready file of schema 1 has; the rest depend on `kind` (docs/service.md lists them all).
COMMON_KEYS = ("schema_version", "kind", "pid", "host", "public_host")


def is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("", "0.0.0.0", "::")


def public_host(host: str, public: str | None) -> str:
    """The host name written into URLs: --public-host, else the bind address (loopback for a wildcard bind)."""
    if public:
        return public
    return "127.0.0.1" if is_wildcard(host) else host


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def warn_if_exposed(host: str, what: str) -> None:
    """Say loudly that every key is reachable from other hosts: the mocks serve plain http and admin APIs."""
    if is_loopback(host):
        return
    log.warning("%s is bound to %s, beyond loopback: its APIs, its /__admin control plane and every key they "
                "accept are reachable from other hosts over plain http. Use this only inside a CI network or a "
                "container, never on a shared or public network.", what, host)


def allow_http_hosts(values: list[str] | None) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in values or () if h.strip())
    bad = [h for h in hosts if "/" in h or (":" in h.strip("[]") and not _is_ip(h))]
    if bad:
        raise ConfigError(f"--allow-http-host takes a host name, not a URL or host:port; got {bad[0]!r}")
    return hosts


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def add_service_args(p: argparse.ArgumentParser, *, lytics: bool, ansira: bool, api_key_env: bool = True,
                     admin_key_env: bool = True) -> None:
    """The service flags `serve` and `mock` share (some already existed on `mock`: pass False to skip them)."""
    p.add_argument("--public-host", help="the host name other hosts or containers use to reach this one; URLs in "
                   "the ready file and /__admin/health are built on it (default: the bind address, or 127.0.0.1 "
                   "when bound to 0.0.0.0)")
    if lytics and api_key_env:
        p.add_argument("--api-key-env", help="read the Lytics API key from this environment variable")
    if admin_key_env:
        p.add_argument("--admin-key-env", help="protect /__admin with the key in this environment variable")
    if ansira:
        p.add_argument("--ansira-client-secret-env", help="read the Ansira client secret (the first client's) "
                       "from this environment variable")
    if lytics:
        p.add_argument("--allow-http-host", action="append", metavar="HOST", help="accept plain-http token and "
                       "webhook URLs on this host too (repeatable; loopback is always accepted; e.g. a service "
                       "container's name in CI)")


def ready_document(kind: str, *, host: str, public: str, lytics: LyticsEndpoint | None = None,
                   ansira: AnsiraEndpoint | None = None, admin_key: str | None = None,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ready file of schema 1: the common keys, each part's prefixed keys (lytics_*, ansira_*; harness.ready),
    the admin key when there is one, then `extra`."""
    doc: dict[str, Any] = {"schema_version": READY_SCHEMA_VERSION, "kind": kind, "pid": os.getpid(),
                           "host": host, "public_host": public}
    for part in (lytics, ansira):
        if part is not None:
            doc.update(part.section())
    if admin_key:
        doc["admin_key"] = admin_key
    doc.update(extra or {})
    return doc


def write_ready(path: str | None, info: dict[str, Any]) -> None:
    """Write JSON atomically with mode 0600 (it may hold credentials).

    The temporary file is new (mkstemp: O_EXCL, 0600) in the target's folder, so a stale or planted
    `<name>.tmp` (a loose mode, a symlink to another file) is neither reused nor followed.
    """
    if not path:
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh, indent=2)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def secret_from_env(name: str | None, what: str, *, generate: bool = False) -> str | None:
    """The secret in environment variable `name` (an error if unset or empty), else a generated one or None;
    registered with the redactor either way."""
    if name:
        value = os.environ.get(name)
        if not value:
            raise ConfigError(f"{what}: environment variable {name} is not set or empty")
        REDACTOR.add(value)
        return value
    if generate:
        value = secrets.token_urlsafe(24)
        REDACTOR.add(value)
        return value
    return None
