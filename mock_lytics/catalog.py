"""Templates and authorizations: validated records, public views that never show a secret.

Auth configs keep Lytics' text forms (`webhook_request_headers` one `Name: value` per line,
`webhook_request_params` a query string) because that is what the runner parses; dict input is normalised to
them. The client secret appears only in `Auth.internal()`, served on the internal plane.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from mock_lytics.errors import BadRequest, NotFound
from mock_lytics.timeutil import iso

TEMPLATE_TYPES = ("jsonnet", "handlebars", "js1")
MASK = "********"
OAUTH2 = "webhook-oauth2-client-credentials"
HEADER_PARAM = "header-param-auth"
_OAUTH_KEYS = frozenset(
    {"token_url", "client_id", "client_secret", "scopes", "webhook_request_headers", "webhook_request_params"}
)
_HEADER_PARAM_KEYS = frozenset({"webhook_request_headers", "webhook_request_params"})
TOKEN_PLACEHOLDER = "{token}"  # where the OAuth token goes in a header or parameter value
_PLACEHOLDER_ONLY = re.compile(r"\s*(?:[A-Za-z]+\s+)?\{token\}\s*")  # `{token}`, `Bearer {token}`


def _masked(value: str) -> str:
    """A header or parameter value as the public API shows it: the `{token}` placeholder is configuration, not a
    secret (`access_token={token}`, `Authorization: Bearer {token}`); anything else may be a key."""
    return value if _PLACEHOLDER_ONLY.fullmatch(value) else MASK


@dataclass
class Template:
    id: str
    name: str
    type: str
    source: str
    description: str
    created: float
    updated: float

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "description": self.description,
                "created": iso(self.created), "updated": iso(self.updated)}

    def internal(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "source": self.source}


@dataclass
class Auth:
    id: str
    type: str
    label: str
    description: str
    config: dict[str, Any] = field(repr=False)
    created: float = 0.0
    updated: float = 0.0

    def _base(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "provider": "webhook", "label": self.label,
                "description": self.description, "created": iso(self.created), "updated": iso(self.updated)}

    def to_api(self) -> dict[str, Any]:
        """Public view: the client secret is always masked; header/param values too, whatever the auth type (they may
        be API keys)."""
        cfg = dict(self.config)
        if "client_secret" in cfg:
            cfg["client_secret"] = MASK
        if "webhook_request_headers" in cfg or "webhook_request_params" in cfg:  # any auth type may carry them
            cfg["webhook_request_headers"] = "\n".join(
                f"{name}: {_masked(v)}" for name, v in _header_pairs(cfg.get("webhook_request_headers") or ""))
            cfg["webhook_request_params"] = "&".join(
                f"{k}={_masked(v)}"
                for k, v in parse_qsl(cfg.get("webhook_request_params") or "", keep_blank_values=True))
        return {**self._base(), "config": cfg}

    def internal(self) -> dict[str, Any]:
        return {**self._base(), "config": dict(self.config)}

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return f"Auth(id={self.id!r}, type={self.type!r}, label={self.label!r})"


class Catalog:
    """Templates and auths by id."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.http_hosts: frozenset[str] = frozenset()  # hosts besides loopback where plain http is accepted
        self.reset()

    def reset(self) -> None:
        self.templates: dict[str, Template] = {}
        self.auths: dict[str, Auth] = {}

    # ---------------------------------------------------------------------------------------- templates

    def add_template(self, name: str, ttype: str, source: str, description: str) -> Template:
        now = self._clock()
        tpl = Template(secrets.token_hex(16), name, ttype, source, description, now, now)
        self.templates[tpl.id] = tpl
        return tpl

    def template(self, tid: str) -> Template:
        if tid not in self.templates:
            raise NotFound(f"template {tid!r} not found")
        return self.templates[tid]

    def delete_template(self, tid: str) -> None:
        self.template(tid)
        del self.templates[tid]

    # ---------------------------------------------------------------------------------------- auths

    def add_auth(self, auth_type: str, body: Mapping[str, Any]) -> Auth:
        label, description, config = parse_auth(auth_type, body, http_hosts=self.http_hosts)
        now = self._clock()
        auth = Auth(secrets.token_hex(16), auth_type, label, description, config, now, now)
        self.auths[auth.id] = auth
        return auth

    def auth(self, aid: str) -> Auth:
        if aid not in self.auths:
            raise NotFound(f"auth {aid!r} not found")
        return self.auths[aid]

    def delete_auth(self, aid: str) -> None:
        self.auth(aid)
        del self.auths[aid]


def check_template_meta(name: Any, ttype: Any) -> tuple[str, str]:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("template 'name' is required (query parameter name=)")
    if ttype not in TEMPLATE_TYPES:
        raise BadRequest(f"template 'type' must be one of {list(TEMPLATE_TYPES)}, got {ttype!r}")
    return name.strip(), ttype


def parse_auth(auth_type: str, body: Mapping[str, Any], *,
               http_hosts: frozenset[str] = frozenset()) -> tuple[str, str, dict[str, Any]]:
    """Validate an auth body; the config may be nested under "config" or given at top level."""
    if not isinstance(body, Mapping):
        raise BadRequest("auth body must be a JSON object")
    allowed = _OAUTH_KEYS if auth_type == OAUTH2 else _HEADER_PARAM_KEYS
    nested = body.get("config")
    if nested is not None and not isinstance(nested, Mapping):
        raise BadRequest("auth 'config' must be an object")
    top = {k: v for k, v in body.items() if k not in ("label", "description", "config", "type", "provider")}
    unknown = sorted(set(top) - allowed)
    if unknown:
        raise BadRequest(f"unknown auth attribute(s) {unknown}; expected label, description, config")
    raw = {**top, **(nested or {})}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise BadRequest(f"unknown config key(s) {unknown} for {auth_type}; expected some of {sorted(allowed)}")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise BadRequest("auth 'label' is required")
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise BadRequest("auth 'description' must be a string")
    config: dict[str, Any] = {}
    if auth_type == OAUTH2:
        config["token_url"] = check_url(raw.get("token_url"), "config.token_url", http_hosts)
        for key in ("client_id", "client_secret"):
            value = raw.get(key)
            if not isinstance(value, str) or not value:
                raise BadRequest(f"config.{key} is required (a non-empty string)")
            config[key] = value
        config["scopes"] = _scopes(raw.get("scopes"))
    config["webhook_request_headers"] = _headers_text(raw.get("webhook_request_headers"))
    config["webhook_request_params"] = _params_text(raw.get("webhook_request_params"))
    if auth_type == HEADER_PARAM and not (config["webhook_request_headers"] or config["webhook_request_params"]):
        raise BadRequest("header-param-auth needs webhook_request_headers or webhook_request_params")
    return label.strip(), description, config


def check_url(value: Any, what: str, http_hosts: frozenset[str] = frozenset()) -> str:
    """https anywhere, or http on a loopback host or one named in ALLOW_HTTP_HOSTS (a documented deviation: local
    mocks and service containers in CI have no TLS)."""
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{what} is required (an https URL)")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    # Echo only scheme://host: a URL's path, query or userinfo may carry a credential.
    shown = f"{parts.scheme}://{host}/..." if parts is not None and host else f"a {len(value)}-character string"
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise BadRequest(f"{what} must be an absolute https URL, got {shown}")
    if parts.scheme == "http" and not (is_loopback(host) or host.lower() in http_hosts):
        also = f" and {', '.join(sorted(http_hosts))}" if http_hosts else ""
        raise BadRequest(f"{what} must use https (plain http is accepted only for loopback hosts{also}; "
                         f"allow another with ALLOW_HTTP_HOSTS / --allow-http-host), got {shown}")
    return value


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _scopes(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [s for s in value.replace(",", " ").split() if s]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return list(value)
    raise BadRequest(f"config.scopes must be a string or a list of strings, got {value!r}")


def _header_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise BadRequest(f"config.webhook_request_headers line {n} is not 'Name: value': {name.strip()!r}")
        pairs.append((name.strip(), value.strip()))
    return pairs


def _headers_text(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, Mapping):
        value = "\n".join(f"{k}: {v}" for k, v in value.items())
    if not isinstance(value, str):
        raise BadRequest("config.webhook_request_headers must be text ('Name: value' per line) or an object")
    return "\n".join(f"{k}: {v}" for k, v in _header_pairs(value))


def _params_text(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, Mapping):
        return urlencode({str(k): str(v) for k, v in value.items()}, safe="{}")
    if not isinstance(value, str):
        raise BadRequest("config.webhook_request_params must be a query string ('k=v&k2=v2') or an object")
    pairs = parse_qsl(value.lstrip("?"), keep_blank_values=True)
    if not pairs:
        raise BadRequest(f"config.webhook_request_params is not a query string 'k=v&k2=v2' (got {len(value)} chars)")
    return value.lstrip("?")
