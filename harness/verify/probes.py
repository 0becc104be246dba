"""The fixed, documented list of contract probes `harness verify ansira` sends (docs/going-live.md lists them).

A probe builds one request from the run's context; the same list runs against the user's service and against the
in-process mock, in order, so stateful probes (the same email again) see the same history on both sides. Emails
live in the reserved `example.com` domain and carry a per-run tag, so a run never touches a real person's record.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TOKEN_PATH = "/service/oauth/v2/token"
USERS_PATH = "/service/api/v2/users"
USER_PATH = "/service/api/v2/user"
GRANT = "client_credentials"
TEST_DOMAIN = "example.com"


def new_tag() -> str:
    """A per-run tag: UTC time plus 4 random hex digits, lowercase (it goes into email local parts)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(2)


@dataclass
class Context:
    """What probes build requests from; `token` is the newest one a token probe got."""

    client_id: str
    client_secret: str = field(repr=False)
    source_code: str
    tag: str
    token: str | None = field(default=None, repr=False)  # the newest token a token probe got
    created: dict[str, Any] | None = None  # the body user.create got back, for the same-user facts

    def email(self, n: int = 1) -> str:
        return f"verify-{self.tag}-{n}@{TEST_DOMAIN}"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None
    json: Any = None
    data: bytes | None = None
    basic: tuple[str, str] | None = None


@dataclass(frozen=True)
class Probe:
    name: str
    operation: str  # token | create_user
    description: str
    build: Callable[[Context], Request]
    needs_token: bool = False
    facts: Callable[[Context, Any], dict[str, Any]] | None = None  # derived values that must match


def _token_form(ctx: Context, **over: str) -> dict[str, str]:
    return {"grant_type": GRANT, "client_id": ctx.client_id, "client_secret": ctx.client_secret, **over}


def _user(ctx: Context, body: Any, *, path: str = USERS_PATH, token: str | None = "live") -> Request:
    params = {"access_token": ctx.token or ""} if token == "live" else ({"access_token": token} if token else {})
    return Request("POST", path, params=params, json=body)


def _upsert_body(ctx: Context, email: Any = None, source: Any = "") -> dict[str, Any]:
    body: dict[str, Any] = {"email": ctx.email() if email is None else email}
    body["sourceCode"] = {"keyName": ctx.source_code if source == "" else source}
    return body


def _token_type(_: Context, body: Any) -> dict[str, Any]:
    value = body.get("token_type") if isinstance(body, dict) else None
    return {"token_type": value.lower() if isinstance(value, str) else value}


def _email_echo(sent: str, body: Any) -> str:
    got = body.get("email") if isinstance(body, dict) else None
    if got == sent:
        return "as sent"
    if isinstance(got, str) and got == sent.lower():
        return "lowercased"
    return "absent" if got is None else "other"


def _create_facts(ctx: Context, body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        ctx.created = body
    return {"email": _email_echo(ctx.email(), body)}


def _same_user(sent: str) -> Callable[[Context, Any], dict[str, Any]]:
    def facts(ctx: Context, body: Any) -> dict[str, Any]:
        first = ctx.created or {}
        same = {k: (isinstance(body, dict) and k in first and body.get(k) == first.get(k)) for k in ("id", "uuid")}
        return {"same id as user.create": same["id"], "same uuid as user.create": same["uuid"],
                "email": _email_echo(sent, body)}

    return facts


def _not_json(ctx: Context) -> Request:
    return Request("POST", USERS_PATH, params={"access_token": ctx.token or ""},
                   headers={"Content-Type": "application/json"}, data=b'{"email": "not json')


PROBES: tuple[Probe, ...] = (
    Probe("token.basic", "token", "POST form grant_type=client_credentials, credentials in HTTP Basic",
          lambda c: Request("POST", TOKEN_PATH, form={"grant_type": GRANT}, basic=(c.client_id, c.client_secret)),
          facts=_token_type),
    Probe("token.body", "token", "POST form with client_id and client_secret in the body",
          lambda c: Request("POST", TOKEN_PATH, form=_token_form(c)), facts=_token_type),
    Probe("token.get", "token", "GET with the parameters in the query (how Ansira's SDKs ask)",
          lambda c: Request("GET", TOKEN_PATH, params=_token_form(c)), facts=_token_type),
    Probe("token.wrong_secret", "token", "POST form, the right client id with a wrong secret",
          lambda c: Request("POST", TOKEN_PATH, form=_token_form(c, client_secret=f"wrong-secret-{c.tag}"))),
    Probe("token.unknown_client", "token", "POST form, a client id the service does not know",
          lambda c: Request("POST", TOKEN_PATH, form=_token_form(
              c, client_id=f"enrichsim-verify-unknown-{c.tag}", client_secret=f"wrong-secret-{c.tag}"))),
    Probe("token.wrong_grant_type", "token", "POST form, grant_type=password",
          lambda c: Request("POST", TOKEN_PATH, form=_token_form(c, grant_type="password"))),
    Probe("token.missing_grant_type", "token", "POST form without grant_type",
          lambda c: Request("POST", TOKEN_PATH, form={"client_id": c.client_id, "client_secret": c.client_secret})),
    Probe("user.create", "create_user", "POST /users, a new tagged email and the source code (?access_token=)",
          lambda c: _user(c, _upsert_body(c)), needs_token=True, facts=_create_facts),
    Probe("user.repeat", "create_user", "POST /users, the same email again (upsert: same id and uuid?)",
          lambda c: _user(c, _upsert_body(c)), needs_token=True, facts=lambda c, b: _same_user(c.email())(c, b)),
    Probe("user.singular_path", "create_user", "POST /user (Lytics' docs spell it singular), the same email",
          lambda c: _user(c, _upsert_body(c), path=USER_PATH), needs_token=True,
          facts=lambda c, b: _same_user(c.email())(c, b)),
    Probe("user.case", "create_user", "POST /users, the same email in upper case (same user?)",
          lambda c: _user(c, _upsert_body(c, c.email().upper())), needs_token=True,
          facts=lambda c, b: _same_user(c.email().upper())(c, b)),
    Probe("user.missing_email", "create_user", "POST /users without email",
          lambda c: _user(c, {"sourceCode": {"keyName": c.source_code}}), needs_token=True),
    Probe("user.empty_email", "create_user", 'POST /users with email ""',
          lambda c: _user(c, _upsert_body(c, "")), needs_token=True),
    Probe("user.malformed_email", "create_user", "POST /users with an email that has no @",
          lambda c: _user(c, _upsert_body(c, f"verify-{c.tag}-not-an-email")), needs_token=True),
    Probe("user.unknown_source_code", "create_user", "POST /users with a sourceCode.keyName nobody configured",
          lambda c: _user(c, _upsert_body(c, c.email(2), f"ENRICHSIM_VERIFY_UNKNOWN_{c.tag.upper()}")),
          needs_token=True),
    Probe("user.missing_source_code", "create_user", "POST /users without sourceCode",
          lambda c: _user(c, {"email": c.email(3)}), needs_token=True),
    Probe("user.no_token", "create_user", "POST /users with no access token at all",
          lambda c: _user(c, _upsert_body(c), token=None)),
    Probe("user.garbage_token", "create_user", "POST /users with ?access_token= a token nobody issued",
          lambda c: _user(c, _upsert_body(c), token=f"enrichsim-verify-garbage-{c.tag}")),
    Probe("user.not_json", "create_user", "POST /users, Content-Type application/json, a body that is not JSON",
          _not_json, needs_token=True),
)


def describe(probe: Probe, ctx: Context) -> str:
    """One line for --dry-run: method, path, parameter names, body keys; never a value that is a credential."""
    req = probe.build(ctx)
    parts = [f"{req.method} {req.path}"]
    if req.params:
        parts.append("query: " + ", ".join(sorted(req.params)))
    if req.basic:
        parts.append("Basic auth")
    if req.form is not None:
        parts.append("form: " + ", ".join(sorted(req.form)))
    if req.json is not None:
        parts.append("json: " + ", ".join(sorted(req.json)) if isinstance(req.json, dict) else "json")
    if req.data is not None:
        parts.append(f"raw body ({len(req.data)} bytes)")
    return "; ".join(parts)
