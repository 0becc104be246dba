"""Typed errors of the mock, each knowing its status, error code and headers; app.py renders them once.

Bodies follow RFC 6749 §5.2 / RFC 6750 §3 (`error`, `error_description`) so stock OAuth clients parse
them; request-validation errors add `problems: [{path, message}]`. Descriptions never quote a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from mock_ansira.contract import Problem

REALM = "ansira"


class AnsiraError(Exception):
    """Base of every error answered as JSON; subclasses fix `status` and `error`."""

    status: ClassVar[int] = 400
    error: ClassVar[str] = "invalid_request"

    def __init__(
        self,
        description: str,
        *,
        problems: Sequence[Problem] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.problems = list(problems)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @property
    def status_code(self) -> int:
        return self.status

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "error_description": self.description}
        if self.problems:
            out["problems"] = [p.as_dict() for p in self.problems]
        out.update(self.extra)
        return out


class InvalidRequest(AnsiraError):
    """Malformed request: bad JSON, wrong content type, schema problems, missing parameter."""


class UnsupportedGrantType(AnsiraError):
    error = "unsupported_grant_type"


class InvalidScope(AnsiraError):
    error = "invalid_scope"


class InvalidClient(AnsiraError):
    """Client authentication failed; RFC 6749 asks for WWW-Authenticate when Basic was tried."""

    status = 401
    error = "invalid_client"

    def __init__(self, description: str, *, basic: bool) -> None:
        headers = {"WWW-Authenticate": f'Basic realm="{REALM}"'} if basic else {}
        super().__init__(description, headers=headers)


class InvalidToken(AnsiraError):
    """Missing, unknown, expired or revoked access token (RFC 6750 §3.1)."""

    status = 401
    error = "invalid_token"

    def __init__(self, description: str) -> None:
        challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
        super().__init__(description, headers={"WWW-Authenticate": challenge})


class InsufficientScope(AnsiraError):
    """A live token without the scope the operation requires (RFC 6750 §3.1)."""

    status = 403
    error = "insufficient_scope"

    def __init__(self, description: str, *, scope: str) -> None:
        challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
        super().__init__(description, headers={"WWW-Authenticate": challenge})


class NotFound(AnsiraError):
    status = 404
    error = "not_found"


class MethodNotAllowed(AnsiraError):
    status = 405
    error = "method_not_allowed"

    def __init__(self, description: str, *, allowed: Sequence[str]) -> None:
        super().__init__(description, headers={"Allow": ", ".join(sorted(allowed))})


class PayloadTooLarge(AnsiraError):
    status = 413
    error = "payload_too_large"


class RateLimited(AnsiraError):
    status = 429
    error = "rate_limited"


class AdminUnauthorized(AnsiraError):
    status = 401
    error = "unauthorized"


_STATUS_ERRORS = {
    500: "server_error",
    502: "bad_gateway",
    503: "temporarily_unavailable",
    504: "gateway_timeout",
    429: "rate_limited",
}


class InjectedFault(AnsiraError):
    """An error status chosen by a fault rule; the instance carries its own status."""

    def __init__(self, status: int, *, retry_after_s: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else {}
        super().__init__(f"the service answered {status} (simulated)", headers=headers)
        self._status = status

    @property
    def status_code(self) -> int:
        return self._status

    def body(self) -> dict[str, Any]:
        return {**super().body(), "error": _STATUS_ERRORS.get(self._status, "error")}


class DropConnection(Exception):
    """Close the socket without answering; app.py's WSGI wrapper turns this into a reset."""
