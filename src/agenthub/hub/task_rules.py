"""The task rules as pure decisions: each takes the task as stored and answers the change to make (or raises).

The storage runs a decision inside the write that read the task, so a rule and its change are one atomic
step. Nothing here does I/O.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from typing import Any

from agenthub._ids import new_ordered_id
from agenthub._time import now_iso, to_iso, utcnow
from agenthub.errors import Conflict, Forbidden, NotFound
from agenthub.hub.auth import Actor, same_token
from agenthub.hub.delivery import STREAM_EVENT
from agenthub.models import AssignmentStatus, Task, TaskStatus
from agenthub.storage import Decide, NewMessage, TaskChange

AUTO = "auto"
LEASE_EXPIRED = "lease_expired"
REAP_BATCH = 1000
NOTHING = TaskChange(action="")


def public(task: Task) -> Task:
    """The task as everyone but its lease holder sees it."""
    return task if task.lease_token is None else task.model_copy(update={"lease_token": None})


def not_found(task_id: str) -> NotFound:
    return NotFound(f"no task has id {task_id!r}", code="task_not_found")


def finished(task: Task) -> Conflict:
    return Conflict(
        f"the task is already {task.status.value}", code="task_finished", details={"status": task.status.value}
    )


def check_holder(actor: Actor, task: Task, token: str | None) -> None:
    """A presented lease token must be the current one; without one, only the assignee or the operator acts."""
    if token is not None:
        if task.lease_token is None or not same_token(token, task.lease_token):
            raise Conflict(
                "this lease is no longer valid: the task was taken back, reassigned or reclaimed",
                code="lease_lost",
                details={"status": task.status.value},
            )
        expires = task.lease_expires_at
        if task.status == TaskStatus.in_progress and expires is not None and expires <= utcnow():
            # Lapsed but not yet taken back by the reaper (or the hub was down): the lease is over all the same.
            raise Conflict(
                "this lease expired: the task goes back to the queue", code="lease_lost", details={"status": "expired"}
            )
        return
    if not actor.is_operator and actor.agent_id != task.assignee_id:
        raise Forbidden("only the task's assignee or the operator can do that", code="not_assignee")


def check_ready(task: Task) -> None:
    """Work on a task starts only once everything it depends on is completed."""
    if not task.ready:
        raise Conflict(
            "the task waits for its dependencies to complete",
            code="dependencies_pending",
            details={"depends_on": task.depends_on},
        )


def check_owner(actor: Actor, task: Task) -> None:
    if not actor.is_operator and actor.agent_id != task.creator_id:
        raise Forbidden("only the task's creator or the operator can do that", code="not_creator")


def new_lease(seconds: float) -> dict[str, Any]:
    return {
        "lease_token": secrets.token_urlsafe(24),
        "lease_seconds": seconds,
        "lease_expires_at": to_iso(utcnow() + timedelta(seconds=seconds)),
    }


RELEASE: dict[str, Any] = {"assignee_id": None, "lease_token": None, "lease_seconds": None, "lease_expires_at": None}


def announce(task: Task) -> NewMessage:
    """The durable `task:assigned` stream entry for the task's new assignee."""
    assert task.assignee_id is not None
    return NewMessage(
        id=new_ordered_id(),
        sender_id=None,
        content=f"Task assigned: {task.title}",
        created_at=now_iso(),
        recipients=[task.assignee_id],
        task_id=task.id,
        title=task.title,
        message_type="system",
        metadata={STREAM_EVENT: "task:assigned", "data": public(task).model_dump(mode="json")},
    )


def backoff(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: `base * 2^(attempts-1)`, at most `cap`, times a random factor in [0.5, 1]."""
    return min(cap, base * float(2 ** min(attempts - 1, 30))) * random.uniform(0.5, 1.0)


def lease_cleared() -> dict[str, Any]:
    return {"lease_token": None, "lease_seconds": None, "lease_expires_at": None}


def lost_attempt(task: Task, cause: str, now: str) -> dict[str, Any]:
    """A holder went away: the task returns to the queue with attempts + 1, or fails once attempts run out."""
    attempts = task.attempts + 1
    if attempts >= task.max_attempts:
        return {"status": TaskStatus.failed.value, "attempts": attempts, "error": cause, "completed_at": now}
    return {**RELEASE, "status": TaskStatus.pending.value, "attempts": attempts, "available_at": now}


def lapse(now: str) -> Decide:
    def decide(task: Task) -> TaskChange:
        expires = task.lease_expires_at
        if task.status != TaskStatus.in_progress or expires is None or to_iso(expires) > now:
            return NOTHING  # renewed, finished or taken back since the reaper looked
        values = lost_attempt(task, LEASE_EXPIRED, now)
        return TaskChange(
            action="task.lease_expired",
            set={**lease_cleared(), **values},
            details={"assignee_id": task.assignee_id, "attempts": values["attempts"], "status": values["status"]},
            close_assignment=AssignmentStatus.expired,
        )

    return decide


def redistribute(agent_id: str, pick: list[str]) -> Decide:
    def decide(task: Task) -> TaskChange:
        if task.assignee_id != agent_id or task.status not in (TaskStatus.assigned, TaskStatus.in_progress):
            return NOTHING
        details = {"from": agent_id, "reason": "assignee_offline"}
        if task.status == TaskStatus.in_progress:
            values = lost_attempt(task, "assignee_offline", now_iso())
            return TaskChange(
                action="task.redistributed",
                set={**lease_cleared(), **values},
                details=details,
                close_assignment=AssignmentStatus.expired,
            )
        return TaskChange(
            action="task.redistributed",
            set={**RELEASE, "status": TaskStatus.pending.value},
            details=details,
            close_assignment=AssignmentStatus.expired,
            open_assignment=AssignmentStatus.assigned,
            pick_assignee=pick,
            announce=announce,
        )

    return decide
