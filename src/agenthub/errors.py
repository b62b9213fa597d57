"""The one error tree shared by the hub, the SDK, the CLI and the MCP server.

Every error the hub reports on the wire is one of these; the SDK raises the same
class from the `{"error": {"code", "message", "details"}}` body it receives.

    AgentHubError                    500 internal_error
    ├── BadRequest                   400 bad_request
    ├── Unauthorized                 401 unauthorized
    ├── Forbidden                    403 forbidden
    ├── NotFound                     404 not_found
    ├── Conflict                     409 conflict
    ├── TooLarge                     413 too_large
    ├── InvalidField                 422 invalid_field
    ├── RateLimited                  429 rate_limited
    ├── StorageUnavailable           503 storage_unavailable (the hub cannot keep what it is sent)
    └── HubUnavailable               503 hub_unavailable (client side: the hub cannot be reached)

Each class's docstring is its default message.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AgentHubError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "HubUnavailable",
    "InvalidField",
    "NotFound",
    "RateLimited",
    "StorageUnavailable",
    "TooLarge",
    "Unauthorized",
    "error_from_body",
]


class AgentHubError(Exception):
    """The hub hit an unexpected error."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str | None = None, *, code: str | None = None, details: Any = None) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        self.code = code or self.default_code
        self.details = details
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        """The wire form: `{"error": {"code", "message", "details"}}`."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class BadRequest(AgentHubError):
    """The request is malformed."""

    status = 400
    default_code = "bad_request"


class Unauthorized(AgentHubError):
    """A valid token is required: send `Authorization: Bearer <token>`."""

    status = 401
    default_code = "unauthorized"


class Forbidden(AgentHubError):
    """This token is not allowed to do that."""

    status = 403
    default_code = "forbidden"


class NotFound(AgentHubError):
    """Nothing exists with that id or name."""

    status = 404
    default_code = "not_found"


class Conflict(AgentHubError):
    """The request conflicts with the current state."""

    status = 409
    default_code = "conflict"


class TooLarge(AgentHubError):
    """The request is larger than the hub accepts."""

    status = 413
    default_code = "too_large"


class InvalidField(AgentHubError):
    """A field has an invalid value."""

    status = 422
    default_code = "invalid_field"


class RateLimited(AgentHubError):
    """Too many requests: slow down and retry."""

    status = 429
    default_code = "rate_limited"


class StorageUnavailable(AgentHubError):
    """The hub cannot store anything now: see its log."""

    status = 503
    default_code = "storage_unavailable"


class HubUnavailable(AgentHubError):
    """The hub cannot be reached: is `agenthub serve` running?"""

    status = 503
    default_code = "hub_unavailable"


_BY_STATUS: dict[int, type[AgentHubError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        TooLarge,
        InvalidField,
        RateLimited,
        StorageUnavailable,
    )
}


def error_from_body(status: int, body: Any) -> AgentHubError:
    """Rebuild the hub's error from an HTTP status and a decoded error body."""
    cls = _BY_STATUS.get(status, AgentHubError)
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return cls(
            str(err.get("message") or ""), code=str(err.get("code") or cls.default_code), details=err.get("details")
        )
    return cls(f"the hub answered {status}")
