"""The audit log on the wire: entries, logged decisions, and the result of verifying the hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from agenthub.models.common import Wire


class AuditEntry(Wire):
    id: int
    at: datetime
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class DecisionLog(Wire):
    """Seed 003's `log_decision`: a decision an agent wants on the record."""

    decision_type: str = Field(min_length=1, max_length=200)
    context: str = Field(max_length=64 * 1024)
    reason: str = Field(max_length=64 * 1024)


class AuditVerification(Wire):
    """`ok` when every entry is intact. Otherwise `first_bad_id` names the first entry that was altered or removed."""

    ok: bool
    entries: int
    last_id: int
    first_bad_id: int | None = None
    problem: Literal["altered", "removed"] | None = None
    message: str
