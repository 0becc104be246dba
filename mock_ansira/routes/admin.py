"""The control plane under /__admin: reset, behaviour, users, tokens, journal, health.

Only POST/PUT/PATCH/DELETE change state; a GET to a mutator is a 405. Admin calls are not journaled,
so the journal holds exactly what the system under test sent. Bad input changes nothing.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from mock_ansira.behaviour import BehaviourError, load_behaviour, merge_documents, unmask_secrets
from mock_ansira.contract import Problem, email_problem
from mock_ansira.errors import AdminUnauthorized, InvalidRequest
from mock_ansira.http import RECORD_KEY, backend
from mock_ansira.paths import TOKEN_PATH, USER_PATH

bp = Blueprint("ansira_admin", __name__, url_prefix="/__admin")
_MAX_JOURNAL_PAGE = 100_000


@bp.before_request
def _admin_only() -> None:
    request.environ[RECORD_KEY]["journal"] = False
    expected = current_app.config.get("ADMIN_KEY")
    if expected:
        given = request.headers.get("X-Admin-Key", "")
        if not hmac.compare_digest(str(expected).encode(), given.encode()):
            raise AdminUnauthorized("missing or wrong X-Admin-Key header")


def _json_object(*, optional: bool = False) -> dict[str, Any]:
    if optional and not request.get_data(cache=True):
        return {}
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser's stack allows: not a usable document either
        body = None
    if not isinstance(body, dict):
        raise InvalidRequest(
            "expected a JSON object body", problems=[Problem("$", "body must be a JSON object (application/json)")]
        )
    return body


@bp.post("/reset")
def reset() -> Response:
    backend().reset()
    return jsonify({"status": "reset"})


@bp.route("/behaviour", methods=["GET", "PUT", "PATCH"])
def behaviour() -> Response:
    be = backend()
    current = be.behaviour.document(reveal_secrets=True)
    if request.method != "GET":
        patch = _json_object()
        doc = unmask_secrets(dict(patch), current) if request.method == "PUT" else merge_documents(current, patch)
        try:
            new = load_behaviour(doc)
        except BehaviourError as exc:
            raise InvalidRequest(str(exc), problems=exc.problems) from None
        be.replace_behaviour(new)
    return jsonify(be.behaviour.document())


@bp.route("/users", methods=["GET", "POST"])
def users() -> tuple[Response, int]:
    be = backend()
    if request.method == "GET":
        return jsonify(be.all_users()), 200
    body = _json_object()
    records = body.get("users", [])
    generate = body.get("generate", 0)
    problems = _seed_problems(records, generate, set(body) - {"users", "generate"})
    if problems:
        raise InvalidRequest("invalid users seed", problems=problems)
    return jsonify({"users": be.seed_users(records, generate)}), 201


def _seed_problems(records: object, generate: object, unknown: set[str]) -> list[Problem]:
    problems = [Problem(key, "unknown key (expected users, generate)") for key in sorted(unknown)]
    if not isinstance(generate, int) or isinstance(generate, bool) or not 0 <= generate <= 100_000:
        problems.append(Problem("generate", "expected an integer from 0 to 100000"))
    if not isinstance(records, list):
        return [*problems, Problem("users", "expected an array of user objects")]
    for index, record in enumerate(records):
        where = f"users[{index}]"
        if not isinstance(record, dict):
            problems.append(Problem(where, "expected an object"))
            continue
        email = record.get("email")
        reason = email_problem(email) if isinstance(email, str) else "is required (a string)"
        if reason is not None:
            problems.append(Problem(f"{where}.email", reason))
    return problems


@bp.post("/tokens/revoke")
def revoke_tokens() -> Response:
    client_id = _client_filter(_json_object(optional=True))
    return jsonify({"revoked": backend().revoke_tokens(client_id)})


@bp.post("/tokens/expire")
def expire_tokens() -> Response:
    body = _json_object(optional=True)
    client_id = _client_filter(body, extra=frozenset({"ttl_s"}))
    ttl = body.get("ttl_s")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0):
        raise InvalidRequest("bad ttl_s", problems=[Problem("ttl_s", "expected a number of seconds >= 0")])
    return jsonify({"expired": backend().expire_tokens(client_id, None if ttl is None else float(ttl))})


def _client_filter(body: dict[str, Any], extra: frozenset[str] = frozenset()) -> str | None:
    unknown = set(body) - {"client_id"} - extra
    if unknown:
        allowed = ", ".join(sorted({"client_id", *extra}))
        raise InvalidRequest(
            "unknown keys", problems=[Problem(k, f"unknown key (expected {allowed})") for k in sorted(unknown)]
        )
    client_id = body.get("client_id")
    if client_id is None:
        return None
    if not isinstance(client_id, str) or backend().behaviour.client(client_id) is None:
        raise InvalidRequest(
            "unknown client", problems=[Problem("client_id", f"not a configured client: {client_id!r}")]
        )
    return client_id


@bp.route("/journal", methods=["GET", "DELETE"])
def journal() -> Response:
    be = backend()
    if request.method == "DELETE":
        be.clear_journal()
        return jsonify({"status": "cleared"})
    after = _int_arg("after", 0, minimum=0)
    limit = _int_arg("limit", 1000, minimum=1, maximum=_MAX_JOURNAL_PAGE)
    bodies = request.args.get("bodies", "false").lower()
    if bodies not in ("true", "false", "1", "0"):
        raise InvalidRequest("bad bodies", problems=[Problem("bodies", f"expected true or false, got {bodies!r}")])
    entries, dropped = be.journal_entries(after, limit, bodies=bodies in ("true", "1"))
    next_after = entries[-1]["seq"] if entries else after
    return jsonify({"entries": entries, "next_after": next_after, "dropped": dropped})


def _int_arg(name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
        raise InvalidRequest(f"bad {name}", problems=[Problem(name, f"expected an integer {bounds}, got {raw!r}")])
    return value


@bp.get("/journal/summary")
def journal_summary() -> Response:
    return jsonify(backend().journal_summary())


@bp.get("/health")
def health() -> Response:
    body = backend().health()
    if base := current_app.config.get("PUBLIC_URL"):
        body.update(url=base, token_url=base + TOKEN_PATH, user_url=base + USER_PATH)
    return jsonify(body)
