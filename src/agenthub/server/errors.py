"""Every error leaves the hub as `{"error": {"code", "message", "details"}}` with the protocol's status."""

from __future__ import annotations

import logging
import math
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from agenthub.errors import AgentHubError, BadRequest, InvalidField, RateLimited
from agenthub.models import ErrorBody

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "rate_limited",
}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "malformed request"),
        (401, "missing or unknown token"),
        (403, "not allowed for this token"),
        (404, "unknown id or name"),
        (409, "conflict with the current state"),
        (413, "too large"),
        (422, "invalid field"),
        (429, "rate limited: see Retry-After"),
    ]
}
"""The error answers every route may give, declared in the OpenAPI schema with their body."""


def json_response(body: Any, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, headers=headers, media_type="application/json")


def error_response(error: AgentHubError, headers: dict[str, str] | None = None) -> Response:
    if isinstance(error, RateLimited) and isinstance(error.details, dict) and "retry_after" in error.details:
        headers = {**(headers or {}), "Retry-After": str(max(1, math.ceil(error.details["retry_after"])))}
    return json_response(error.to_body(), error.status, headers)


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's error list, reduced to what is safe and useful to send: where, what, why."""
    return [
        {"loc": list(e.get("loc", ())), "type": e.get("type", ""), "msg": e.get("msg", "")}
        for e in errors
        if isinstance(e, dict)
    ]


def invalid(errors: list[Any]) -> AgentHubError:
    """A bad body: unparseable JSON is malformed (400); a wrong field is invalid (422)."""
    details = validation_details(errors)
    if any(d["type"] == "json_invalid" for d in details):
        return BadRequest("the body is not valid JSON", code="malformed_json", details=details)
    first = details[0] if details else {"loc": [], "msg": "invalid input"}
    where = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
    return InvalidField(f"{where}: {first['msg']}", details=details)


def out_of_range() -> AgentHubError:
    """A number too large for the database (SQLite integers are 64-bit): refused like any invalid field."""
    return InvalidField("a number in the request is out of range", code="number_out_of_range")


def as_hub_error(error: BaseException, what: str) -> AgentHubError:
    """The error to answer for an exception outside FastAPI's handlers (a WebSocket request, the publish fast
    path): as the handlers below answer it; anything unexpected is logged under `what` and answered 500."""
    if isinstance(error, AgentHubError):
        return error
    if isinstance(error, ValidationError):
        return invalid(list(error.errors()))
    if isinstance(error, OverflowError):
        return out_of_range()
    log.error(what, exc_info=error)
    return AgentHubError()


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AgentHubError)
    async def hub_error(_: Request, exc: AgentHubError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> Response:
        return error_response(invalid(list(exc.errors())))

    @app.exception_handler(ValidationError)
    async def model_invalid(_: Request, exc: ValidationError) -> Response:
        return error_response(invalid(list(exc.errors())))

    @app.exception_handler(OverflowError)
    async def overflow(_: Request, exc: OverflowError) -> Response:
        return error_response(out_of_range())

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        if exc.status_code == 404:
            message = f"no such route: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        body = {"error": {"code": code, "message": message, "details": None}}
        return json_response(body, exc.status_code, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return error_response(AgentHubError())
