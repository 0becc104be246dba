"""Typed API errors, rendered once (in app.py) as Lytics' envelope `{"data", "status", "message", "request_id"}`.

The backend raises these directly so that routes stay thin and every refusal carries the HTTP status that real
Lytics would answer with.

    MockApiError
    ├── BadRequest          400  invalid input (names what, where and what was expected)
    ├── Unauthorized        401  missing or wrong API key
    ├── AdminUnauthorized   401  missing or wrong X-Admin-Key on /__admin (when ADMIN_KEY is set)
    ├── NotFound            404  unknown object or route
    ├── Conflict            409  slug already used (v1 routes)
    ├── Gone                410  feed cursor older than the retained ring
    ├── PayloadTooLarge     413  collect body or one event over its limit
    └── NotSimulated        501  a feature real Lytics has and this mock deliberately does not run
"""

from __future__ import annotations

from typing import Any


class MockApiError(Exception):
    """Base class: `status` and `message` are class defaults that instances may override."""

    status: int = 500
    message: str = "internal error"

    def __init__(self, message: str | None = None, *, data: Any = None) -> None:
        if message is not None:
            self.message = message
        self.data = data
        super().__init__(self.message)


class BadRequest(MockApiError):
    """The request is malformed or names something invalid."""

    status = 400
    message = "bad request"


class Unauthorized(MockApiError):
    """No API key, or not the configured one."""

    status = 401
    message = "Unauthorized: an API key is required (Authorization header, key= or access_token=)"


class AdminUnauthorized(MockApiError):
    """The internal plane is protected by ADMIN_KEY and the X-Admin-Key header did not match."""

    status = 401
    message = "Unauthorized: the X-Admin-Key header is missing or wrong"


class NotFound(MockApiError):
    """The object (or route) does not exist."""

    status = 404
    message = "Not Found"


class Conflict(MockApiError):
    """The request collides with an existing object."""

    status = 409
    message = "conflict"


class Gone(MockApiError):
    """The caller's feed cursor points at events that were evicted from the ring."""

    status = 410
    message = "feed cursor is older than the oldest retained event"


class PayloadTooLarge(MockApiError):
    """The body, or one event in it, exceeds the configured limit."""

    status = 413
    message = "payload too large"


class NotSimulated(MockApiError):
    """Real Lytics does this; the simulator deliberately does not."""

    status = 501
    message = "not simulated"
