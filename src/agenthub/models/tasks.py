"""Tasks, their assignments and dependency graphs on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator

from agenthub.models.common import Wire

Tag = Annotated[str, Field(min_length=1, max_length=64)]
LeaseSeconds = Annotated[float, Field(ge=0.001, le=7 * 24 * 3600)]


class TaskStatus(StrEnum):
    pending = "pending"
    assigned = "assigned"
    in_progress = "in_progress"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({TaskStatus.completed, TaskStatus.failed, TaskStatus.cancelled})


class AssignmentStatus(StrEnum):
    assigned = "assigned"
    accepted = "accepted"
    rejected = "rejected"
    completed = "completed"
    failed = "failed"
    expired = "expired"


class Task(Wire):
    id: str
    creator_id: str | None
    title: str
    description: str
    status: TaskStatus
    priority: int
    tags: list[str]
    requirements: dict[str, Any]
    assignee_id: str | None
    depends_on: list[str]
    result: Any
    error: str | None
    attempts: int
    max_attempts: int
    lease_expires_at: datetime | None
    due_date: datetime | None
    created_at: datetime
    completed_at: datetime | None
    updated_at: datetime
    available_at: datetime = Field(description="not claimable before this time (retry backoff)")
    idempotency_key: str | None = None
    lease_seconds: float | None = Field(default=None, description="the length of the current lease")
    ready: bool = Field(default=True, description="every task in depends_on is completed")
    lease_token: str | None = Field(default=None, description="only in the holder's claim / start / heartbeat answer")


def _check_requirements(value: dict[str, Any]) -> dict[str, Any]:
    capabilities = value.get("capabilities")
    if capabilities is not None and (
        not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities)
    ):
        raise ValueError("requirements.capabilities must be a list of strings")
    return value


class TaskCreate(Wire):
    """A new task. `assign_to` is "auto", an agent id or an agent name; without it the task waits in the queue."""

    title: str = Field(min_length=1, max_length=1000)
    description: str = Field(default="", max_length=100_000)
    priority: int = Field(default=2, ge=1, le=5, description="1-5, higher is more urgent")
    tags: list[Tag] = Field(default_factory=list, max_length=64)
    requirements: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list, max_length=1000)
    max_attempts: int = Field(default=3, ge=1, le=1000)
    due_date: datetime | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    assign_to: str | None = Field(default=None, max_length=128)

    @field_validator("requirements")
    @classmethod
    def _requirements(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_requirements(value)


class TaskUpdate(Wire):
    """Fields to change; `status` runs the matching transition (in_progress, completed, failed, cancelled)."""

    title: str | None = Field(default=None, min_length=1, max_length=1000)
    description: str | None = Field(default=None, max_length=100_000)
    priority: int | None = Field(default=None, ge=1, le=5)
    tags: list[Tag] | None = Field(default=None, max_length=64)
    requirements: dict[str, Any] | None = None
    depends_on: list[str] | None = Field(default=None, max_length=1000)
    max_attempts: int | None = Field(default=None, ge=1, le=1000)
    due_date: datetime | None = None
    status: TaskStatus | None = None
    result: Any = None
    error: str | None = Field(default=None, max_length=10_000)
    lease_token: str | None = None

    @field_validator("requirements")
    @classmethod
    def _requirements(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return value if value is None else _check_requirements(value)


class CompleteRequest(Wire):
    result: Any = None
    lease_token: str | None = None


class Completion(CompleteRequest):
    """A task the claimer finished, completed in the same step as the claim (`ClaimRequest.complete`)."""

    task_id: str = Field(min_length=1)


class ClaimRequest(Wire):
    """Take the most urgent ready task; with `tags`, only a task having at least one of them. With `complete`,
    first complete the task the worker just finished: one request and one commit instead of two, and nothing
    is claimed when that completion is refused."""

    tags: list[Tag] | None = Field(default=None, max_length=64)
    lease_seconds: LeaseSeconds | None = None
    complete: Completion | None = None


class LeaseRequest(Wire):
    """Body of start and heartbeat: the holder's token (when it has one) and an optional new lease length."""

    lease_token: str | None = None
    lease_seconds: LeaseSeconds | None = None


class FailRequest(Wire):
    error: str = Field(min_length=1, max_length=10_000)
    retry: bool = False
    lease_token: str | None = None


class AssignRequest(Wire):
    agent_id: str = Field(min_length=1, max_length=128, description='an agent id or name, or "auto"')


class RejectRequest(Wire):
    reason: str | None = Field(default=None, max_length=10_000)


class Assignment(Wire):
    id: str
    task_id: str
    agent_id: str
    status: AssignmentStatus
    assigned_at: datetime
    completed_at: datetime | None


class TaskEdge(Wire):
    task_id: str
    depends_on: str


class TaskGraph(Wire):
    """The task with everything it depends on and everything that depends on it, transitively."""

    task_id: str
    tasks: list[Task]
    edges: list[TaskEdge]
