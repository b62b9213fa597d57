"""Tasks: a priority queue with atomic claims, fenced leases, retries, dependencies and an assignment engine.

Each state change is a pure decision (`Task -> TaskChange`) that the storage runs inside the write that read
the task, so the rule and the change are one atomic step. A lease belongs to one attempt: each claim or start
draws a fresh `lease_token`, and `heartbeat`, `complete` and `fail` that present any other token get 409.

Assignment reaches the assignee as a durable stream entry (`task:assigned`, with a `seq`), so an offline agent
gets it when it reconnects; `task:updated` events go live to the creator, the assignee and the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from agenthub._ids import new_id
from agenthub._time import now_iso, to_iso, utcnow
from agenthub.errors import Conflict, Forbidden, InvalidField, NotFound
from agenthub.hub.agents import Agents
from agenthub.hub.auth import Actor
from agenthub.hub.background import Repeating
from agenthub.hub.delivery import Router, event_frame
from agenthub.hub.presence import Presence
from agenthub.hub.task_rules import (
    AUTO,
    NOTHING,
    REAP_BATCH,
    RELEASE,
    announce,
    backoff,
    check_holder,
    check_owner,
    check_ready,
    finished,
    lapse,
    lease_cleared,
    new_lease,
    not_found,
    public,
    redistribute,
)
from agenthub.models import (
    AgentStatus,
    Assignment,
    AssignmentStatus,
    ClaimRequest,
    CompleteRequest,
    FailRequest,
    LeaseRequest,
    Task,
    TaskCreate,
    TaskGraph,
    TaskStatus,
    TaskUpdate,
)
from agenthub.settings import HubSettings
from agenthub.storage import ClaimQuery, Decide, NewTask, Storage, TaskChange, TaskOutcome, TaskQuery

log = logging.getLogger(__name__)

TOUCH_EVERY = 1.0
_EDITABLE = ("title", "description", "priority", "tags", "requirements", "depends_on", "max_attempts", "due_date")


class Tasks:
    def __init__(
        self, storage: Storage, agents: Agents, presence: Presence, router: Router, settings: HubSettings
    ) -> None:
        self._storage = storage
        self._agents = agents
        self._presence = presence
        self._router = router
        self._settings = settings
        self._offline_since: dict[str, float] = {}  # assignee id -> monotonic time it was first seen offline
        self._touched: dict[str, float] = {}  # agent id -> monotonic time its task work last counted as a heartbeat
        self._reaper = Repeating(settings.reaper_interval, {"the task reaper": self.reap})

    async def open(self) -> None:
        # Leases that lapsed while the hub was down are taken back before the first request is served.
        await self.reap()
        self._reaper.start()

    async def close(self) -> None:
        await self._reaper.stop()

    # -- delivery --------------------------------------------------------------------------------------

    def _on_commit(self, outcome: TaskOutcome) -> None:
        """In commit order: deliver the stream entries, then tell creator and assignees what changed."""
        if outcome.messages:
            self._router.deliver(outcome.messages)
        for task, previous in outcome.changed:
            self._router.notify((task.creator_id, task.assignee_id, previous), partial(_updated_frame, task))

    async def _change(self, actor: Actor, task_id: str, decide: Decide) -> Task:
        outcome = await self._storage.change_task(task_id, decide, actor.agent_id, self._on_commit)
        if outcome is None or outcome.task is None:
            raise not_found(task_id)
        return outcome.task

    def _touch(self, actor: Actor) -> None:
        """Working on a task is a sign of life: it keeps an agent without a WebSocket online (noted at most
        once a second per agent, so a busy worker costs presence nothing)."""
        agent_id = actor.agent_id
        if agent_id is None or not self._agents.exists(agent_id):
            return
        clock = time.monotonic()
        if clock - self._touched.get(agent_id, -TOUCH_EVERY) >= TOUCH_EVERY:
            self._touched[agent_id] = clock
            self._presence.heartbeat(agent_id)

    def _lease_seconds(self, given: float | None) -> float:
        return given if given is not None else self._settings.task_lease_seconds

    # -- the assignment engine -------------------------------------------------------------------------

    def candidates(self, requirements: dict[str, Any], exclude: str | None = None) -> list[str]:
        """Online agents whose capabilities cover `requirements.capabilities`, by name."""
        needed = set(requirements.get("capabilities") or [])
        return [
            agent.id
            for agent in sorted(self._agents.online(), key=lambda a: a.name)
            if agent.id != exclude and needed <= set(agent.capabilities)
        ]

    def _assign_to(self, target: str, requirements: dict[str, Any]) -> Decide:
        """Assign to an agent (id or name), or with "auto" to the capable online agent with the fewest active tasks."""
        if target == AUTO:
            pick = self.candidates(requirements)
            if not pick:
                raise Conflict(
                    "no online agent has the capabilities this task requires",
                    code="no_capable_agent",
                    details={"capabilities": requirements.get("capabilities") or []},
                )
            agent_id = None
        else:
            agent_id, pick = self._agents.resolve(target).id, None

        def decide(task: Task) -> TaskChange:
            if task.status.finished:
                raise finished(task)
            if agent_id is not None and task.assignee_id == agent_id and task.status == TaskStatus.assigned:
                return NOTHING
            values: dict[str, Any] = {**RELEASE, "status": TaskStatus.assigned.value, "assignee_id": agent_id}
            return TaskChange(
                action="task.assigned",
                set=values,
                details={"assignee_id": agent_id, "auto": agent_id is None},
                close_assignment=AssignmentStatus.expired if task.assignee_id else None,
                open_assignment=AssignmentStatus.assigned,
                pick_assignee=pick,
                announce=announce,
            )

        return decide

    # -- creating and reading --------------------------------------------------------------------------

    async def create(self, actor: Actor, body: TaskCreate) -> tuple[Task, bool]:
        """The new task (True), or the unfinished one its creator already made with this `idempotency_key`."""
        decide = None
        if body.assign_to is not None:
            if body.assign_to != AUTO:
                self._agents.resolve(body.assign_to)
            with contextlib.suppress(Conflict):  # nobody capable is online: the task waits in the queue
                decide = self._assign_to(body.assign_to, body.requirements)
        new = NewTask(
            id=new_id(),
            creator_id=actor.agent_id,
            title=body.title,
            description=body.description,
            priority=body.priority,
            tags=list(dict.fromkeys(body.tags)),
            requirements=body.requirements,
            depends_on=list(dict.fromkeys(body.depends_on)),
            max_attempts=body.max_attempts,
            due_date=None if body.due_date is None else to_iso(body.due_date),
            idempotency_key=body.idempotency_key,
            created_at=now_iso(),
        )
        outcome = await self._storage.create_task(new, decide, actor.agent_id, self._on_commit)
        assert outcome.task is not None
        return public(outcome.task), outcome.created

    async def get(self, task_id: str) -> Task:
        task = await self._storage.get_task(task_id)
        if task is None:
            raise not_found(task_id)
        return task

    async def query(self, query: TaskQuery) -> list[Task]:
        return await self._storage.list_tasks(query)

    async def pending(self, limit: int) -> list[Task]:
        """Pending tasks in claim order: most urgent first, then oldest."""
        return await self._storage.list_tasks(TaskQuery(status=TaskStatus.pending.value, queue_order=True, limit=limit))

    async def overdue(self, limit: int) -> list[Task]:
        """Unfinished tasks whose due date has passed, the longest overdue first."""
        return await self._storage.list_tasks(TaskQuery(overdue_at=now_iso(), limit=limit))

    async def of_agent(self, agent: str, status: TaskStatus | None, limit: int) -> list[Task]:
        """Tasks assigned to an agent (id or name), newest-last."""
        try:
            agent_id = self._agents.resolve(agent).id
        except NotFound:
            agent_id = agent  # a deleted agent's tasks can still be looked up by its id
        query = TaskQuery(assignee_id=agent_id, status=None if status is None else status.value, limit=limit)
        return await self._storage.list_tasks(query)

    async def assignments(self, task_id: str) -> list[Assignment]:
        await self.get(task_id)
        return await self._storage.task_assignments(task_id)

    async def graph(self, task_id: str) -> TaskGraph:
        found = await self._storage.task_graph(task_id)
        if found is None:
            raise not_found(task_id)
        tasks, edges = found
        return TaskGraph(task_id=task_id, tasks=tasks, edges=edges)

    # -- changing --------------------------------------------------------------------------------------

    async def update(self, actor: Actor, task_id: str, body: TaskUpdate) -> Task:
        """Edit fields (creator or operator), then run the transition a given `status` names."""
        given = body.model_fields_set
        fields = {name: getattr(body, name) for name in _EDITABLE if name in given}
        if "due_date" in fields and fields["due_date"] is not None:
            fields["due_date"] = to_iso(fields["due_date"])
        for name in ("title", "priority", "tags", "requirements", "depends_on", "max_attempts"):
            if name in fields and fields[name] is None:
                raise InvalidField(f"{name} cannot be null", code="invalid_field")
        task: Task | None = None
        if fields:

            def decide(current: Task) -> TaskChange:
                check_owner(actor, current)
                if current.status.finished:
                    raise finished(current)
                return TaskChange(action="task.updated", set=fields, details={"fields": sorted(fields)})

            task = public(await self._change(actor, task_id, decide))
        status = body.status if "status" in given else None
        if status is None:
            return task or await self.get(task_id)
        if status == TaskStatus.in_progress:
            return await self.start(actor, task_id, LeaseRequest(lease_token=body.lease_token))
        if status == TaskStatus.completed:
            return await self.complete(
                actor, task_id, CompleteRequest(result=body.result, lease_token=body.lease_token)
            )
        if status == TaskStatus.failed:
            failure = FailRequest(error=body.error or "failed", lease_token=body.lease_token)
            return await self.fail(actor, task_id, failure)
        if status == TaskStatus.cancelled:
            return await self.cancel(actor, task_id)
        raise InvalidField(
            f"status {status.value!r} cannot be set directly: use assign, or fail with retry",
            code="invalid_transition",
        )

    async def delete(self, actor: Actor, task_id: str) -> None:
        def check(task: Task) -> TaskChange:
            check_owner(actor, task)
            return TaskChange(action="task.deleted")

        if await self._storage.delete_task(task_id, check, actor.agent_id, self._on_commit) is None:
            raise not_found(task_id)

    async def assign(self, actor: Actor, task_id: str, target: str) -> Task:
        """Assign to an agent id or name, or "auto"; the creator or the operator may (re)assign."""
        task = await self.get(task_id)
        check_owner(actor, task)
        assign = self._assign_to(target, task.requirements)

        def decide(current: Task) -> TaskChange:
            check_owner(actor, current)
            return assign(current)

        return public(await self._change(actor, task_id, decide))

    async def cancel(self, actor: Actor, task_id: str) -> Task:
        def decide(task: Task) -> TaskChange:
            check_owner(actor, task)
            if task.status == TaskStatus.cancelled:
                return NOTHING
            if task.status.finished:
                raise finished(task)
            return TaskChange(
                action="task.cancelled",
                set={"status": TaskStatus.cancelled.value, "completed_at": now_iso(), **lease_cleared()},
                close_assignment=AssignmentStatus.failed,
            )

        return public(await self._change(actor, task_id, decide))

    async def reject(self, actor: Actor, task_id: str, reason: str | None) -> Task:
        """The assignee declines an assignment it has not started: the task goes back to the queue."""

        def decide(task: Task) -> TaskChange:
            if task.assignee_id is None or actor.agent_id != task.assignee_id:
                raise Forbidden("only the task's assignee can reject it", code="not_assignee")
            if task.status != TaskStatus.assigned:
                raise Conflict(
                    f"only an assignment not yet started can be rejected; the task is {task.status.value}",
                    code="not_rejectable",
                    details={"status": task.status.value},
                )
            return TaskChange(
                action="task.rejected",
                set={**RELEASE, "status": TaskStatus.pending.value},
                details={"reason": reason} if reason else {},
                close_assignment=AssignmentStatus.rejected,
            )

        return public(await self._change(actor, task_id, decide))

    # -- working on a task -----------------------------------------------------------------------------

    async def claim(self, actor: Actor, body: ClaimRequest) -> Task | None:
        """Atomically take the most urgent, oldest ready task the agent can do; None when there is none. With
        `body.complete`, the agent's finished task is completed in the same write, and a refused completion
        claims nothing."""
        if actor.agent_id is None:
            raise Forbidden("only an agent can claim a task: use an agent token", code="agent_only")
        agent_id = actor.agent_id
        self._touch(actor)
        seconds = self._lease_seconds(body.lease_seconds)

        def decide(task: Task) -> TaskChange:
            return TaskChange(
                action="task.claimed",
                set={"status": TaskStatus.in_progress.value, "assignee_id": agent_id, **new_lease(seconds)},
                details={"attempt": task.attempts + 1},
                close_assignment=AssignmentStatus.expired if task.assignee_id else None,
                open_assignment=AssignmentStatus.accepted,
            )

        capabilities = self._agents.get(agent_id).capabilities
        query = ClaimQuery(agent_id, capabilities, body.tags, now_iso(), decide)
        done = body.complete
        if done is None:
            outcome = await self._storage.claim_task(query, self._on_commit)
            return None if outcome is None else outcome.task
        completing = self._completing(actor, done)
        outcome = await self._storage.change_task(done.task_id, completing, agent_id, self._on_commit, then_claim=query)
        if outcome is None or outcome.task is None:
            raise not_found(done.task_id)
        return outcome.claimed

    async def start(self, actor: Actor, task_id: str, body: LeaseRequest) -> Task:
        """The assignee accepts its assignment and gets a lease; on a task it already holds, the lease is renewed."""
        agent_id = actor.agent_id
        if agent_id is None:
            raise Forbidden("only an agent can start a task: use an agent token", code="agent_only")
        self._touch(actor)

        def decide(task: Task) -> TaskChange:
            seconds = body.lease_seconds or task.lease_seconds or self._settings.task_lease_seconds
            if task.status.finished:
                raise finished(task)
            if task.assignee_id != agent_id:
                raise Forbidden(
                    "only the task's assignee can start it: claim or be assigned first", code="not_assignee"
                )
            if task.status == TaskStatus.in_progress:
                check_holder(actor, task, body.lease_token)
                expires = to_iso(utcnow() + timedelta(seconds=seconds))
                return TaskChange(action="task.heartbeat", set={"lease_seconds": seconds, "lease_expires_at": expires})
            check_ready(task)
            return TaskChange(
                action="task.started",
                set={"status": TaskStatus.in_progress.value, **new_lease(seconds)},
                accept_assignment=True,
            )

        return await self._change(actor, task_id, decide)

    async def heartbeat(self, actor: Actor, task_id: str, body: LeaseRequest) -> Task:
        """Extend the holder's lease from now by `lease_seconds`, or by the length it was granted with."""
        self._touch(actor)

        def decide(task: Task) -> TaskChange:
            check_holder(actor, task, body.lease_token)
            if task.status != TaskStatus.in_progress:
                raise Conflict(
                    f"the task is {task.status.value}, not in progress: there is no lease to extend",
                    code="lease_lost" if body.lease_token else "task_not_held",
                    details={"status": task.status.value},
                )
            seconds = body.lease_seconds or task.lease_seconds or self._settings.task_lease_seconds
            return TaskChange(
                action="task.heartbeat",
                set={"lease_seconds": seconds, "lease_expires_at": to_iso(utcnow() + timedelta(seconds=seconds))},
            )

        return await self._change(actor, task_id, decide)

    async def complete(self, actor: Actor, task_id: str, body: CompleteRequest) -> Task:
        """Record the result. Repeating it with the same token and result is harmless."""
        self._touch(actor)
        return public(await self._change(actor, task_id, self._completing(actor, body)))

    def _completing(self, actor: Actor, body: CompleteRequest) -> Decide:
        def decide(task: Task) -> TaskChange:
            if task.status == TaskStatus.completed:
                check_holder(actor, task, body.lease_token)
                if task.result == body.result:
                    return NOTHING
                raise finished(task)
            if task.status.finished:
                raise finished(task)
            check_holder(actor, task, body.lease_token)
            if task.status == TaskStatus.pending and not actor.is_operator:
                raise Conflict("nobody holds this task: claim it first", code="task_not_held")
            if not actor.is_operator:
                check_ready(task)
            return TaskChange(
                action="task.completed",
                set={
                    "status": TaskStatus.completed.value,
                    "result": body.result,
                    "error": None,
                    "completed_at": now_iso(),
                    "lease_expires_at": None,
                },
                close_assignment=AssignmentStatus.completed,
            )

        return decide

    async def fail(self, actor: Actor, task_id: str, body: FailRequest) -> Task:
        """Record a failure; with `retry`, requeue after an exponential backoff while attempts remain."""
        self._touch(actor)

        def decide(task: Task) -> TaskChange:
            if task.status == TaskStatus.failed and task.error == body.error:
                check_holder(actor, task, body.lease_token)
                return NOTHING
            if task.status.finished:
                raise finished(task)
            check_holder(actor, task, body.lease_token)
            if task.status == TaskStatus.pending and not actor.is_operator:
                raise Conflict("nobody holds this task: claim it first", code="task_not_held")
            attempts = task.attempts + 1
            if body.retry and attempts < task.max_attempts:
                delay = backoff(attempts, self._settings.task_retry_base_seconds, self._settings.task_retry_max_seconds)
                return TaskChange(
                    action="task.retrying",
                    set={
                        **RELEASE,
                        "status": TaskStatus.pending.value,
                        "attempts": attempts,
                        "error": body.error,
                        "available_at": to_iso(utcnow() + timedelta(seconds=delay)),
                    },
                    details={"error": body.error, "attempts": attempts, "backoff_seconds": round(delay, 3)},
                    close_assignment=AssignmentStatus.failed,
                )
            return TaskChange(
                action="task.failed",
                set={
                    "status": TaskStatus.failed.value,
                    "attempts": attempts,
                    "error": body.error,
                    "completed_at": now_iso(),
                    "lease_expires_at": None,
                },
                details={"error": body.error, "attempts": attempts},
                close_assignment=AssignmentStatus.failed,
            )

        return public(await self._change(actor, task_id, decide))

    # -- the reaper ------------------------------------------------------------------------------------

    async def reap(self) -> int:
        """One pass: take back lapsed leases, redistribute the tasks of agents offline past the grace period."""
        now = now_iso()
        lapsed = await self._storage.lapsed_leases(now, REAP_BATCH)
        await asyncio.gather(*(self._storage.change_task(i, lapse(now), None, self._on_commit) for i in lapsed))
        return len(lapsed) + await self._redistribute()

    async def _redistribute(self) -> int:
        by_agent: dict[str, list[str]] = defaultdict(list)
        for task_id, agent_id in await self._storage.active_tasks():
            by_agent[agent_id].append(task_id)
        for agent_id in list(self._offline_since):
            if agent_id not in by_agent:
                del self._offline_since[agent_id]
        clock = time.monotonic()
        moved = 0
        for agent_id, task_ids in by_agent.items():
            if self._agents.exists(agent_id) and self._agents.get(agent_id).status != AgentStatus.offline:
                self._offline_since.pop(agent_id, None)
                continue
            since = self._offline_since.setdefault(agent_id, clock)
            if clock - since >= self._settings.assignment_grace_seconds:
                moved += await self._take_back(agent_id, task_ids)
        return moved

    async def _take_back(self, agent_id: str, task_ids: Sequence[str]) -> int:
        """An assignee stayed offline: unstarted tasks go to another capable online agent (or the queue),
        started ones back to the queue as a lost attempt."""
        moved = 0
        for task_id in task_ids:
            task = await self._storage.get_task(task_id)
            if task is None:
                continue
            pick = self.candidates(task.requirements, exclude=agent_id)
            outcome = await self._storage.change_task(task_id, redistribute(agent_id, pick), None, self._on_commit)
            moved += outcome is not None
        log.info("agent %s stayed offline: %d task(s) redistributed", agent_id, moved)
        return moved


def _updated_frame(task: Task) -> str:
    return event_frame("task:updated", public(task).model_dump(mode="json"))
