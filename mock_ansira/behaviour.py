"""The behaviour document: clients, source codes, known users, latency and faults, as validated data.

Scenarios drive the mock only through this document (at start-up or via /__admin/behaviour), so every knob
is typed here and an unknown key is an error naming its path rather than a silently ignored typo.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from mock_ansira.contract import Problem, email_problem, format_path

OPERATIONS = ("token", "create_user", "list_users", "reference")
# The error codes of the public API whose status a behaviour may change (`error_status`).
ERROR_CODES = ("invalid_request", "unsupported_grant_type", "invalid_scope", "invalid_client", "invalid_token",
               "insufficient_scope", "not_found", "method_not_allowed", "payload_too_large", "rate_limited")
Operation = Literal["token", "create_user", "list_users", "reference", "*"]
MASK = "**********"
DEFAULT_CLIENT_ID = "lytics-sim"
DEFAULT_SOURCE_CODE = "LYTICS_SIM"


class BehaviourError(ValueError):
    """A behaviour document that does not validate; `problems` name each bad path."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        listed = "; ".join(f"{p.path}: {p.message}" for p in self.problems)
        super().__init__(f"invalid behaviour document: {listed}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenBucketLimit(_Model):
    """`rate` tokens per second refill a bucket of `burst`; each request takes one."""

    kind: Literal["token_bucket"]
    rate: float = Field(gt=0)
    burst: int = Field(ge=1)
    headers: bool = True


class FixedWindowLimit(_Model):
    """At most `limit` requests per `window_s` window, windows aligned to when the limiter was created."""

    kind: Literal["fixed_window"]
    limit: int = Field(ge=1)
    window_s: float = Field(gt=0)
    headers: bool = True


RateLimit = Annotated[TokenBucketLimit | FixedWindowLimit, Field(discriminator="kind")]


class Client(_Model):
    """One OAuth client; the secret is a SecretStr so it never shows in a repr or a dump."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    scopes: list[str] = Field(default_factory=list)
    token_ttl_s: int = Field(3600, ge=1)
    rate_limit: RateLimit | None = None
    token_rate_limit: RateLimit | None = None

    @field_validator("client_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("client_secret must not be empty")
        return value


class KnownUsers(_Model):
    """Users that exist before the run, with Faker data derived from seed+email."""

    count: int = Field(10, ge=0, le=100_000)
    emails: list[str] = Field(default_factory=list)

    @field_validator("emails")
    @classmethod
    def _valid_emails(cls, emails: list[str]) -> list[str]:
        for index, email in enumerate(emails):
            reason = email_problem(email)
            if reason is not None:
                raise ValueError(f"emails[{index}] {email!r}: {reason}")
        return emails


class _LatencyBase(_Model):
    operation: Operation = "*"


class FixedLatency(_LatencyBase):
    kind: Literal["fixed"]
    ms: float = Field(ge=0, le=600_000)


class UniformLatency(_LatencyBase):
    kind: Literal["uniform"]
    min_ms: float = Field(ge=0, le=600_000)
    max_ms: float = Field(ge=0, le=600_000)

    @model_validator(mode="after")
    def _ordered(self) -> UniformLatency:
        if self.max_ms < self.min_ms:
            raise ValueError(f"max_ms ({self.max_ms}) must be >= min_ms ({self.min_ms})")
        return self


class LognormalLatency(_LatencyBase):
    """Delays whose median is p50_ms and whose 99th percentile is p99_ms; `max_ms` caps the tail."""

    kind: Literal["lognormal"]
    p50_ms: float = Field(gt=0, le=600_000)
    p99_ms: float = Field(gt=0, le=600_000)
    max_ms: float = Field(60_000, gt=0, le=600_000)

    @model_validator(mode="after")
    def _ordered(self) -> LognormalLatency:
        if self.p99_ms < self.p50_ms:
            raise ValueError(f"p99_ms ({self.p99_ms}) must be >= p50_ms ({self.p50_ms})")
        return self


Latency = Annotated[FixedLatency | UniformLatency | LognormalLatency, Field(discriminator="kind")]

FaultKind = Literal[
    "status", "outage", "timeout", "malformed_json", "truncated_json", "connection_reset", "invalid_client"
]
_STATUS_KINDS = {"status", "outage", "timeout"}


class Fault(_Model):
    """One fault rule: a target (operation, client), selectors that must all hold, and an effect.

    Selectors: `probability` (seeded draw), `first_n`, `every_nth` (counting the requests this rule
    targets), and a window `after_s`/`duration_s` measured from app start or behaviour load (`since`).
    With no selector the rule fires on every targeted request.
    """

    kind: FaultKind
    operation: Operation = "*"
    client_id: str | None = None
    name: str | None = Field(None, min_length=1)
    probability: float | None = Field(None, ge=0, le=1)
    first_n: int | None = Field(None, ge=1)
    every_nth: int | None = Field(None, ge=1)
    after_s: float | None = Field(None, ge=0)
    duration_s: float | None = Field(None, gt=0)
    since: Literal["start", "load"] = "load"
    status: int | None = Field(None, ge=400, le=599)
    retry_after_s: int | None = Field(None, ge=0)
    hang_s: float | None = Field(None, ge=0, le=600)
    then: Literal["status", "drop"] = "status"
    process: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Fault:
        kind = self.kind
        if kind == "status" and self.status is None:
            raise ValueError("a 'status' fault needs 'status' (an HTTP code 400-599)")
        if kind == "outage" and self.duration_s is None:
            raise ValueError("an 'outage' fault needs 'duration_s' (and usually 'after_s')")
        if kind == "timeout" and self.hang_s is None:
            raise ValueError("a 'timeout' fault needs 'hang_s' (seconds to hang before answering)")
        if self.status is not None and kind not in _STATUS_KINDS:
            raise ValueError(f"'status' does not apply to a {kind!r} fault")
        if self.retry_after_s is not None and kind not in {"status", "outage"}:
            raise ValueError(f"'retry_after_s' does not apply to a {kind!r} fault")
        if kind != "timeout" and (self.hang_s is not None or self.then != "status"):
            raise ValueError("'hang_s' and 'then' apply only to a 'timeout' fault")
        if self.process and kind not in {"timeout", "connection_reset"}:
            raise ValueError("'process' applies only to 'timeout' and 'connection_reset' faults")
        if kind == "invalid_client" and self.operation not in {"token", "*"}:
            raise ValueError("an 'invalid_client' fault targets the token endpoint (operation 'token')")
        return self

    @property
    def effective_operation(self) -> str:
        return "token" if self.kind == "invalid_client" else self.operation

    @property
    def effective_status(self) -> int:
        if self.status is not None:
            return self.status
        return 504 if self.kind == "timeout" else 503

    @property
    def label(self) -> str:
        """What the journal's `fault` field says for this rule."""
        if self.name:
            return self.name
        if self.kind in {"status", "outage"}:
            return f"{self.kind}:{self.effective_status}"
        if self.kind == "timeout":
            return "timeout:drop" if self.then == "drop" else f"timeout:{self.effective_status}"
        return self.kind


class Behaviour(_Model):
    """The whole behaviour document; `create_app()` with none serves one default client."""

    seed: int | None = None
    clients: list[Client] = Field(default_factory=lambda: [default_client()], min_length=1)
    source_codes: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: [DEFAULT_SOURCE_CODE], min_length=1
    )
    known_users: KnownUsers = Field(default_factory=KnownUsers)
    latency: list[Latency] = Field(default_factory=list)
    faults: list[Fault] = Field(default_factory=list)
    user_id_start: int = Field(100_000_001, ge=1)
    # Ansira's clients have per-module scopes: an API operation listed here answers 403 insufficient_scope
    # (RFC 6750 §3.1) to a token that was not granted the scope. Empty: any live token may call anything.
    required_scopes: dict[Literal["create_user", "list_users", "reference"], Annotated[str, Field(min_length=1)]] = (
        Field(default_factory=dict))
    # Switches a user's real sandbox may plausibly differ on (`harness verify ansira --write-behaviour` writes them).
    emails_case_sensitive: bool = False
    # Status for an error code, `"invalid_client": 400`, or for one operation's, `"create_user:invalid_request": 422`
    # (the qualified key wins). The body keeps its `error` code; injected faults keep their own status.
    error_status: dict[str, Annotated[int, Field(ge=400, le=599)]] = Field(default_factory=dict)

    @field_validator("error_status")
    @classmethod
    def _error_keys(cls, value: dict[str, int]) -> dict[str, int]:
        for key in value:
            operation, _, code = key.rpartition(":")
            if code not in ERROR_CODES or (operation and operation not in OPERATIONS):
                raise ValueError(f"error_status key {key!r}: expected ERROR or OPERATION:ERROR with ERROR one of "
                                 f"{', '.join(ERROR_CODES)} and OPERATION one of {', '.join(OPERATIONS)}")
        return value

    def status_for(self, operation: str | None, error: str, default: int) -> int:
        """The status the behaviour gives this error code (see `error_status`)."""
        qualified = self.error_status.get(f"{operation}:{error}") if operation else None
        return qualified if qualified is not None else self.error_status.get(error, default)

    @field_validator("latency", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, Mapping) else value

    @model_validator(mode="after")
    def _references(self) -> Behaviour:
        ids = [c.client_id for c in self.clients]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate client_id: {', '.join(duplicates)}")
        for index, fault in enumerate(self.faults):
            if fault.client_id is not None and fault.client_id not in ids:
                raise ValueError(f"faults[{index}].client_id {fault.client_id!r} is not a configured client")
        return self

    def client(self, client_id: str) -> Client | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def document(self, *, reveal_secrets: bool = False) -> dict[str, Any]:
        """The document as JSON data; secrets are masked unless `reveal_secrets` (internal use only)."""
        doc = self.model_dump(mode="json")
        for client, raw in zip(self.clients, doc["clients"], strict=True):
            raw["client_secret"] = client.client_secret.get_secret_value() if reveal_secrets else MASK
        return doc


def default_client() -> Client:
    return Client(client_id=DEFAULT_CLIENT_ID, client_secret=SecretStr(secrets.token_urlsafe(24)))


def load_behaviour(doc: Mapping[str, Any] | Behaviour | None) -> Behaviour:
    """Validate a behaviour document, raising BehaviourError with one Problem per bad path."""
    if isinstance(doc, Behaviour):
        return doc
    if doc is None:
        return Behaviour()
    if not isinstance(doc, Mapping):
        raise BehaviourError([Problem("$", f"expected an object, got {type(doc).__name__}")])
    try:
        return Behaviour.model_validate(dict(doc))
    except ValidationError as exc:
        raise BehaviourError(_problems(doc, exc)) from None


def _problems(doc: Mapping[str, Any], exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (not part of the behaviour document)"
        problems.append(Problem(_path(doc, err["loc"]), message))
    return sorted(set(problems))


def _path(doc: object, loc: tuple[int | str, ...]) -> str:
    """Follow `loc` through the input, dropping what is not in it: union tags such as `uniform`, and the
    index pydantic gives a single object that was accepted in place of a one-item list."""
    parts: list[int | str] = []
    node = doc
    for key in loc:
        if isinstance(node, Mapping) and key not in node and (isinstance(key, int) or node.get("kind") == key):
            continue
        parts.append(key)
        if isinstance(node, Mapping):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            node = None
    return format_path(parts)


def merge_documents(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge patch, except that `clients` entries merge by `client_id` (clients the patch does not
    name are kept, new ones appended) instead of replacing the list, and an object whose `kind` changes is
    replaced rather than merged.

    A masked secret in the patch keeps the current one, so a document read from GET can be sent back.
    """
    merged = _merge(dict(base), patch)
    if isinstance(patch.get("clients"), list) and isinstance(base.get("clients"), list):
        updates = {c.get("client_id"): c for c in patch["clients"] if isinstance(c, Mapping)}
        clients = []
        for current in base["clients"]:
            entry = updates.pop(current.get("client_id"), None) if isinstance(current, Mapping) else None
            clients.append(_merge(dict(current), entry) if entry is not None else current)
        clients.extend(c for c in patch["clients"] if not isinstance(c, Mapping) or c.get("client_id") in updates)
        merged["clients"] = clients
    return unmask_secrets(merged, base)


def unmask_secrets(doc: dict[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Replace masked secrets with the current secret of the same client_id."""
    known = {c.get("client_id"): c.get("client_secret") for c in current.get("clients") or [] if isinstance(c, Mapping)}
    clients = doc.get("clients")
    if isinstance(clients, list):
        doc["clients"] = [
            {**c, "client_secret": known[c.get("client_id")]}
            if isinstance(c, Mapping) and c.get("client_secret") == MASK and c.get("client_id") in known
            else c
            for c in clients
        ]
    return doc


def _merge(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping):
            existing = target.get(key)
            if not isinstance(existing, Mapping) or existing.get("kind", value.get("kind")) != value.get("kind"):
                existing = {}  # a different `kind` is a different object: replace, do not blend fields
            target[key] = _merge(dict(existing), value)
        else:
            target[key] = value
    return target
