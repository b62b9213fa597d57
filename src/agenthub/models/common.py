"""Shared vocabulary of the wire models: the base class and channel-name rules."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CHANNEL_RE = re.compile(r"[a-z0-9][a-z0-9._/-]{0,127}")


def check_channel(name: str) -> str:
    """Validate a channel name: `[a-z0-9][a-z0-9._/-]{0,127}`."""
    if not CHANNEL_RE.fullmatch(name):
        raise ValueError(f"channel name {name!r} must match [a-z0-9][a-z0-9._/-]{{0,127}}")
    return name


def check_subscription(pattern: str) -> str:
    """Validate a subscription: a channel name, a scope ending in `/*`, or `*` for every channel."""
    if pattern == "*":
        return pattern
    check_channel(pattern.removesuffix("/*"))
    return pattern


def covers(pattern: str, channel: str) -> bool:
    """Whether a subscription pattern covers a channel: exact, `scope/*` (any depth), or `*`."""
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        return channel.startswith(pattern[:-1])
    return pattern == channel


def check_json(value: dict[str, Any]) -> dict[str, Any]:
    """Free-form JSON the hub stores: integers must fit in 64 bits and nesting stay under 255 levels."""
    try:
        orjson.dumps(value)
    except TypeError as exc:  # orjson.JSONEncodeError: too deep, an integer too large
        raise ValueError(f"cannot be stored as JSON: {exc}") from None
    return value


def check_text(value: str) -> str:
    """Text the hub stores must be valid Unicode: JSON's `\\ud800` escapes can smuggle in lone surrogates."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (a lone surrogate escape is not)") from None
    return value


ChannelName = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]{0,127}$", max_length=128), AfterValidator(check_channel)
]  # the pattern is declared in the OpenAPI schema; the validator gives the readable message
Text = Annotated[str, AfterValidator(check_text)]
"""A string the hub stores, from a client."""
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
"""A free-form JSON object the hub stores (`metadata`): refused with 422 when it cannot be stored."""
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]*$")]


class Wire(BaseModel):
    """Base of every wire model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


W = TypeVar("W", bound=Wire)
_set_attribute = object.__setattr__


def trusted(model: type[W], fields: dict[str, Any]) -> W:
    """A model from values the hub made or stored itself, given for every field: what `model_construct` does
    without its per-field work (a fifth of the cost), for the hot paths that build one per message."""
    built = model.__new__(model)
    _set_attribute(built, "__dict__", fields)
    _set_attribute(built, "__pydantic_fields_set__", set(fields))
    _set_attribute(built, "__pydantic_extra__", None)
    _set_attribute(built, "__pydantic_private__", None)
    return built


class ErrorDetail(Wire):
    code: str = Field(description="snake_case, stable: what went wrong")
    message: str = Field(description="a sentence a person understands")
    details: Any = None


class ErrorBody(Wire):
    """Every error the hub answers: `{"error": {"code", "message", "details"}}`."""

    error: ErrorDetail
