"""Approval requests on the wire: an agent asks, the operator or another agent decides."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from agenthub.models.common import Wire


class ApprovalStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"
    expired = "expired"


class Approval(Wire):
    id: str
    action: str
    details: dict[str, Any]
    status: ApprovalStatus
    requester_id: str | None
    decided_by: str | None
    reason: str | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None


class ApprovalRequest(Wire):
    """`timeout_seconds`: how long the request stays pending before it lapses to `expired`."""

    action: str = Field(min_length=1, max_length=500)
    details: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=3600.0, ge=0.001, le=7 * 24 * 3600)


class ApprovalDecision(Wire):
    reason: str | None = Field(default=None, max_length=4000)
