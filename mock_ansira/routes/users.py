"""Users: the upsert by email (on both paths Ansira answers), the list by email, one user by id."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_ansira.contract import MAX_BODY_BYTES, Problem, request_problems
from mock_ansira.errors import AnsiraError, InvalidRequest, NotFound, PayloadTooLarge
from mock_ansira.http import api_pipeline, backend, note, read_json_body
from mock_ansira.paths import API, USER_PATH

bp = Blueprint("ansira_users", __name__)


@bp.route(USER_PATH, methods=["POST"], endpoint="create_user")
@bp.route(f"{API}/users", methods=["POST"], endpoint="create_user")
def create_user() -> tuple[Response, int]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is {request.content_length} bytes; the limit is {MAX_BODY_BYTES}")
    # Read first so every journaled call names its email (even a 401/429/fault); report body errors only
    # after the pipeline, which keeps the order: faults, authentication, rate limit, validation.
    try:
        body: object = read_json_body()
        body_error: AnsiraError | None = None
    except (InvalidRequest, PayloadTooLarge) as exc:
        body, body_error = None, exc
    if isinstance(body, dict) and isinstance(body.get("email"), str):
        note(email=body["email"].lower())
    api_pipeline("create_user")
    if body_error is not None:
        raise body_error
    be = backend()
    problems = request_problems(body, source_codes=be.behaviour.source_codes)
    if problems:
        listed = "; ".join(f"{p.path}: {p.message}" for p in problems)
        raise InvalidRequest(f"request body has {len(problems)} problem(s): {listed}", problems=problems)
    assert isinstance(body, dict)
    user, created = be.upsert_user(body)
    return jsonify(user), 201 if created else 200


@bp.route(f"{API}/users", methods=["GET"])
def list_users() -> Response:
    api_pipeline("list_users")
    email = request.args.get("email")
    if not email:
        raise InvalidRequest(
            "missing email query parameter", problems=[Problem("email", "query parameter is required")]
        )
    note(email=email.lower())
    return jsonify(backend().find_users(email))


@bp.route(f"{API}/users/<int:user_id>", methods=["GET"])
def get_user(user_id: int) -> Response:
    api_pipeline("list_users")
    user = next((u for u in backend().all_users() if u["id"] == user_id), None)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    note(email=user["email"])
    return jsonify(user)
