"""Advisory locks on resources (file paths or glob patterns) on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from agenthub.models.common import Wire

LockResource = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^\x00-\x1f]+$")]


class LockMode(StrEnum):
    exclusive = "exclusive"
    shared = "shared"


class Lock(Wire):
    id: str
    resource: str
    mode: LockMode
    holder_id: str | None
    holder_name: str | None
    intent: str | None
    ttl_seconds: float
    acquired_at: datetime
    expires_at: datetime


class LockRequest(Wire):
    """`wait_seconds` blocks until the resource is free (woken by a release or a lapse) or the wait ends (409)."""

    resource: LockResource
    intent: str | None = Field(default=None, max_length=1000)
    ttl_seconds: float = Field(default=300.0, ge=0.001, le=24 * 3600)
    mode: LockMode = LockMode.exclusive
    wait_seconds: float = Field(default=0.0, ge=0, le=3600)


class LockRenew(Wire):
    """Extend the lock to `ttl_seconds` from now (default: the lock's own ttl)."""

    ttl_seconds: float | None = Field(default=None, ge=0.001, le=24 * 3600)
