"""The cassette: recorded Ansira request/response pairs as a versioned JSON file a user can commit.

Requests are stored *normalised*, which is also what replay matches on: method, path, query pairs sorted, the body
parsed (JSON canonical, a form as sorted pairs), and every credential replaced by a label that says what kind of
credential it was without its value:

- `<token:issued>` an access token this recording (or the replaying mock) issued, `<token:unknown>` any other;
- `<secret:accepted>` a client secret the service did not refuse (its answer was not `invalid_client`),
  `<secret:refused>` one it did; Basic credentials become `Basic <client_id>:<secret:...>`;
- emails become `<email:HASH>@hashed.invalid` (the first 12 hex digits of the address's SHA-256) unless the user
  keeps them (`--record-emails`), in requests and responses alike; replay maps them back to what the caller sent.
docs/going-live.md describes the file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl

from harness.errors import ConfigError

FORMAT = "enrichsim-cassette"
VERSION = 1
ISSUED, UNKNOWN = "<token:issued>", "<token:unknown>"
ACCEPTED, REFUSED = "<secret:accepted>", "<secret:refused>"
TOKEN_PARAMS = frozenset({"access_token", "token", "refresh_token", "id_token"})
SECRET_PARAMS = frozenset({"client_secret", "api_key", "key", "password", "assertion"})
KEEP_HEADERS = ("content-type", "www-authenticate", "retry-after", "allow", "cache-control", "pragma", "location",
                "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-limit",
                "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy")
_EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
HASHED_DOMAIN = "hashed.invalid"

TokenLabel = Callable[[str], str]  # token value -> ISSUED | UNKNOWN
SecretLabel = Callable[[str | None, str], str]  # (client_id, secret) -> ACCEPTED | REFUSED


def hash_email(email: str) -> str:
    return f"<email:{hashlib.sha256(email.encode()).hexdigest()[:12]}>@{HASHED_DOMAIN}"


def mask_emails(value: Any, keep: bool, seen: dict[str, str] | None = None) -> Any:
    """Hash every email-looking string inside `value`; `seen` collects hashed -> original for replay."""
    if keep:
        return value
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            hashed = hash_email(m.group(0))
            if seen is not None:
                seen[hashed] = m.group(0)
            return hashed
        return value if value.endswith(f"@{HASHED_DOMAIN}") else _EMAIL_RE.sub(sub, value)
    if isinstance(value, list):
        return [mask_emails(v, keep, seen) for v in value]
    if isinstance(value, dict):
        return {k: mask_emails(v, keep, seen) for k, v in value.items()}
    return value


def _label_pairs(pairs: Iterable[tuple[str, str]], token: TokenLabel, secret: SecretLabel,
                 client_id: str | None) -> list[list[str]]:
    out = []
    for key, value in pairs:
        low = key.lower()
        if low in TOKEN_PARAMS:
            value = token(value)
        elif low in SECRET_PARAMS:
            value = secret(client_id, value)
        out.append([key, value])
    return sorted(out)


def _auth_label(header: str | None, token: TokenLabel, secret: SecretLabel) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return f"Bearer {token(value.strip())}"
    if scheme.lower() == "basic":
        try:
            client_id, sep, pw = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "Basic <malformed>"
        return f"Basic {client_id}:{secret(client_id, pw)}" if sep else "Basic <malformed>"
    return f"{scheme} <redacted>"


def basic_client(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, pw = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, pw) if sep else None


class HeaderLookup(Protocol):
    """What is read of request headers: a dict or werkzeug's case-insensitive Headers (not a Mapping)."""

    def get(self, key: str, /) -> str | None: ...


def normalise_request(method: str, path: str, query: bytes | str, headers: HeaderLookup, body: bytes, *,
                      token: TokenLabel, secret: SecretLabel, keep_emails: bool,
                      seen: dict[str, str] | None = None) -> dict[str, Any]:
    """The stored (and matched) form of a request; no credential value survives it."""
    qs = query.decode("latin-1") if isinstance(query, bytes) else query
    query_pairs = parse_qsl(qs, keep_blank_values=True)
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    form_pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True) \
        if ctype == "application/x-www-form-urlencoded" else []
    basic = basic_client(headers.get("Authorization"))
    client_id = basic[0] if basic else dict(query_pairs + form_pairs).get("client_id")
    out: dict[str, Any] = {"method": method.upper(), "path": path,
                           "query": mask_emails(_label_pairs(query_pairs, token, secret, client_id), keep_emails,
                                                seen)}
    auth = _auth_label(headers.get("Authorization"), token, secret)
    if auth:
        out["authorization"] = auth
    if ctype:
        out["content_type"] = ctype
    if not body:
        return out
    if ctype == "application/x-www-form-urlencoded":
        out["form"] = mask_emails(_label_pairs(form_pairs, token, secret, client_id), keep_emails, seen)
        return out
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        out["text"] = mask_emails(body.decode("utf-8", "replace"), keep_emails, seen)
        return out
    out["json"] = mask_emails(_label_json(parsed, token, secret, client_id), keep_emails, seen)
    return out


def _label_json(value: Any, token: TokenLabel, secret: SecretLabel, client_id: str | None) -> Any:
    if isinstance(value, dict):
        cid = value.get("client_id") if isinstance(value.get("client_id"), str) else client_id
        return {k: token(v) if k.lower() in TOKEN_PARAMS and isinstance(v, str)
                else secret(cid, v) if k.lower() in SECRET_PARAMS and isinstance(v, str)
                else _label_json(v, token, secret, cid) for k, v in value.items()}
    if isinstance(value, list):
        return [_label_json(v, token, secret, client_id) for v in value]
    return value


def match_key(request: Mapping[str, Any]) -> str:
    return json.dumps(request, sort_keys=True, separators=(",", ":"))


def response_body(content: bytes, keep_emails: bool) -> dict[str, Any]:
    """A response body for the cassette: JSON with tokens labelled, else text; emails masked unless kept."""
    try:
        parsed = json.loads(content) if content.strip() else None
    except (ValueError, RecursionError):
        return {"text": mask_emails(content.decode("utf-8", "replace"), keep_emails)}
    if parsed is None and not content.strip():
        return {}
    labelled = _label_json(parsed, lambda _: ISSUED, lambda _c, _s: REFUSED, None)
    return {"json": mask_emails(labelled, keep_emails)}


def new_cassette(recorded_from: str, keep_emails: bool) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "service": "ansira", "recorded_from": recorded_from,
            "emails": "kept" if keep_emails else "hashed", "interactions": []}


def load(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--replay {p}: no such cassette file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"--replay {p}: not a JSON cassette: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ConfigError(f"--replay {p}: expected a JSON object with \"format\": \"{FORMAT}\"")
    if doc.get("version") != VERSION:
        raise ConfigError(f"--replay {p}: cassette version {doc.get('version')!r}; this harness reads {VERSION}")
    interactions = doc.get("interactions")
    if not isinstance(interactions, list) or not all(
            isinstance(i, dict) and isinstance(i.get("request"), dict) and isinstance(i.get("response"), dict)
            and isinstance(i["response"].get("status"), int) for i in interactions):
        raise ConfigError(f"--replay {p}: \"interactions\" must be a list of {{request, response: {{status, ...}}}}")
    if doc.get("emails") not in ("kept", "hashed"):
        raise ConfigError(f"--replay {p}: \"emails\" must be \"kept\" or \"hashed\"")
    return doc


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """Replace every known credential value inside the strings of `value` with `***` (a last pass before saving;
    pattern-based redaction would mangle JSON text, so this works on the data)."""
    known = sorted((v for v in secrets if len(v) >= 6), key=len, reverse=True)
    if isinstance(value, str):
        for secret in known:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, list):
        return [scrub(v, known) for v in value]
    if isinstance(value, dict):
        return {scrub(k, known): scrub(v, known) for k, v in value.items()}
    return value


def save(path: str | Path, doc: Mapping[str, Any], secrets: Iterable[str] = ()) -> None:
    """Write atomically (a reader never sees half a file) after a last pass of the secret scrubber."""
    target = Path(path)
    text = json.dumps(scrub(dict(doc), list(secrets)), indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
