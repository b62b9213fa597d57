"""Shared memory on the wire: versioned keys with compare-and-set, expiry and access control."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from agenthub.models.common import Wire

KEY_RE = re.compile(r"[^\x00-\x1f\x7f]{1,512}")


def check_key(key: str) -> str:
    """Validate a memory key: 1 to 512 characters, no control characters (`/` is fine)."""
    if not KEY_RE.fullmatch(key):
        raise ValueError("a memory key is 1 to 512 characters without control characters")
    return key


MemoryKey = Annotated[str, AfterValidator(check_key)]
Principals = list[Annotated[str, Field(min_length=1, max_length=128)]]


class AccessControl(Wire):
    """Who may read and write a key: agent ids or names, or `"*"` for everyone.
    A list left out means everyone; the creator and the operator are always allowed."""

    read: Principals = Field(default_factory=lambda: ["*"], max_length=256)
    write: Principals = Field(default_factory=lambda: ["*"], max_length=256)


class Memory(Wire):
    id: str
    key: str
    value: Any
    version: int
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    access_control: AccessControl | None


class MemoryUpdate(Wire):
    """A write to a key. `if_version` makes it a compare-and-set (`0`: only if the key does not exist).
    `ttl_seconds` expires the key that long after this write; left out, the key does not expire.
    `access_control` left out keeps the current one."""

    value: Any
    if_version: int | None = Field(default=None, ge=0)
    ttl_seconds: float | None = Field(default=None, ge=0.001, le=366 * 24 * 3600)
    access_control: AccessControl | None = None


class MemoryCreate(MemoryUpdate):
    key: MemoryKey


class MemoryChange(StrEnum):
    set = "set"
    deleted = "deleted"
    expired = "expired"


class MemoryVersion(Wire):
    """One entry of a key's history: the value a write left (null for a delete or an expiry)."""

    key: str
    version: int
    memory_id: str
    change: MemoryChange
    value: Any
    actor_id: str | None
    at: datetime


class MemoryEvent(Wire):
    """The data of a `memory:updated` frame. `memory` is null when the key was deleted or expired."""

    key: str
    version: int
    change: MemoryChange
    memory: Memory | None


class WatchRequest(Wire):
    prefix: Annotated[str, Field(max_length=512)] = ""


class WatchStarted(Wire):
    """The answer to `memory:watch`: the current values under the prefix, taken after the watch started.
    An event whose version is not above the value's version here is already reflected in it."""

    prefix: str
    entries: list[Memory]
