"""Task routes: the queue, claims and leases, assignment, dependencies; and the `task:*` WebSocket requests.

Fixed paths (`/pending`, `/overdue`, `/claim`, `/agent/...`) are declared before `/{task_id}` so it does not
capture them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from agenthub.errors import InvalidField
from agenthub.models import (
    Assignment,
    AssignRequest,
    ClaimRequest,
    CompleteRequest,
    FailRequest,
    LeaseRequest,
    RejectRequest,
    Task,
    TaskCreate,
    TaskGraph,
    TaskStatus,
    TaskUpdate,
)
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.server.ws import Connection, handles
from agenthub.storage import TaskQuery

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": Task, "description": "a repeated `idempotency_key`: the unfinished task it made"}},
)
async def create_task(body: TaskCreate, actor: CurrentActor, hub: HubDep, response: Response) -> Task:
    """Create a task; `assign_to` ("auto", an agent id or name) assigns it at once. A repeated
    `idempotency_key` of an unfinished task answers 200 with that task."""
    task, created = await hub.tasks.create(actor, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return task


@router.get("")
async def list_tasks(
    _: CurrentActor,
    hub: HubDep,
    status: TaskStatus | None = None,
    assignee_id: str | None = None,
    tag: str | None = None,
    limit: Limit = 50,
) -> list[Task]:
    """Newest-last, filtered by `status`, `assignee_id` and `tag`."""
    query = TaskQuery(status=None if status is None else status.value, assignee_id=assignee_id, tag=tag, limit=limit)
    return await hub.tasks.query(query)


@router.get("/pending")
async def pending_tasks(_: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[Task]:
    """Pending tasks in claim order: most urgent first, then oldest."""
    return await hub.tasks.pending(limit)


@router.get("/overdue")
async def overdue_tasks(_: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[Task]:
    """Unfinished tasks past their due date, the longest overdue first."""
    return await hub.tasks.overdue(limit)


@router.post("/claim", response_model=Task, responses={204: {"description": "no task is ready for this agent"}})
async def claim_task(actor: CurrentActor, hub: HubDep, body: ClaimRequest | None = None) -> Response | Task:
    """Atomically take the most urgent, then oldest, ready task (with one of `tags`, when given) and a lease."""
    task = await hub.tasks.claim(actor, body or ClaimRequest())
    return Response(status_code=status.HTTP_204_NO_CONTENT) if task is None else task


@router.get("/agent/{agent_id}")
async def agent_tasks(
    agent_id: str, _: CurrentActor, hub: HubDep, status: TaskStatus | None = None, limit: Limit = 50
) -> list[Task]:
    """Tasks assigned to an agent (id or name), newest-last."""
    return await hub.tasks.of_agent(agent_id, status, limit)


@router.get("/{task_id}")
async def get_task(task_id: str, _: CurrentActor, hub: HubDep) -> Task:
    return await hub.tasks.get(task_id)


@router.put("/{task_id}")
async def update_task(task_id: str, body: TaskUpdate, actor: CurrentActor, hub: HubDep) -> Task:
    """Edit fields (creator or operator); a `status` runs that transition (in_progress, completed, failed,
    cancelled)."""
    return await hub.tasks.update(actor, task_id, body)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: str, actor: CurrentActor, hub: HubDep) -> Response:
    """Delete (creator or operator); unfinished dependents fail with `dependency_failed`."""
    await hub.tasks.delete(actor, task_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{task_id}/assign")
async def assign_task(task_id: str, body: AssignRequest, actor: CurrentActor, hub: HubDep) -> Task:
    """Assign to an agent id or name, or "auto"; the assignee gets `task:assigned` on its stream."""
    return await hub.tasks.assign(actor, task_id, body.agent_id)


@router.post("/{task_id}/reject")
async def reject_task(task_id: str, actor: CurrentActor, hub: HubDep, body: RejectRequest | None = None) -> Task:
    """The assignee declines an assignment it has not started (`{"reason"?}`): back to the queue."""
    return await hub.tasks.reject(actor, task_id, None if body is None else body.reason)


@router.post("/{task_id}/start")
async def start_task(task_id: str, actor: CurrentActor, hub: HubDep, body: LeaseRequest | None = None) -> Task:
    """The assignee accepts the task and gets a lease (`lease_token` in the answer)."""
    return await hub.tasks.start(actor, task_id, body or LeaseRequest())


@router.post("/{task_id}/heartbeat")
async def heartbeat_task(task_id: str, actor: CurrentActor, hub: HubDep, body: LeaseRequest | None = None) -> Task:
    """Extend the lease; a stale `lease_token` gets 409."""
    return await hub.tasks.heartbeat(actor, task_id, body or LeaseRequest())


@router.post("/{task_id}/complete")
async def complete_task(task_id: str, actor: CurrentActor, hub: HubDep, body: CompleteRequest | None = None) -> Task:
    """Record the result; a stale `lease_token` gets 409. Repeating with the same token and result is harmless."""
    return await hub.tasks.complete(actor, task_id, body or CompleteRequest())


@router.post("/{task_id}/fail")
async def fail_task(task_id: str, body: FailRequest, actor: CurrentActor, hub: HubDep) -> Task:
    """Record a failure; `retry` requeues after a backoff while attempts remain."""
    return await hub.tasks.fail(actor, task_id, body)


@router.post("/{task_id}/cancel")
async def cancel_task(task_id: str, actor: CurrentActor, hub: HubDep) -> Task:
    """Cancel (creator or operator); unfinished dependents fail with `dependency_failed`."""
    return await hub.tasks.cancel(actor, task_id)


@router.get("/{task_id}/assignments")
async def task_assignments(task_id: str, _: CurrentActor, hub: HubDep) -> list[Assignment]:
    """Every assignment of the task and its outcome, oldest first."""
    return await hub.tasks.assignments(task_id)


@router.get("/{task_id}/graph")
async def task_graph(task_id: str, _: CurrentActor, hub: HubDep) -> TaskGraph:
    """The task, everything it depends on and everything that depends on it (transitively), with the edges."""
    return await hub.tasks.graph(task_id)


# -- WebSocket requests --------------------------------------------------------------------------------------


def _task_id(data: dict[str, Any]) -> str:
    task_id = data.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        raise InvalidField("task_id must be a task id string", code="invalid_field")
    return task_id


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in keys}


def _dump(task: Task | None) -> dict[str, Any]:
    return {"task": None if task is None else task.model_dump(mode="json")}


@handles("task:create")
async def ws_create(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    task, created = await conn.hub.tasks.create(conn.actor, TaskCreate.model_validate(data))
    return {**_dump(task), "created": created}


@handles("task:assign")
async def ws_assign(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    body = AssignRequest.model_validate(_without(data, "task_id"))
    return _dump(await conn.hub.tasks.assign(conn.actor, _task_id(data), body.agent_id))


@handles("task:claim")
async def ws_claim(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """`{"task": null}` when no task is ready."""
    return _dump(await conn.hub.tasks.claim(conn.actor, ClaimRequest.model_validate(data)))


@handles("task:update")
async def ws_update(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    body = TaskUpdate.model_validate(_without(data, "task_id"))
    return _dump(await conn.hub.tasks.update(conn.actor, _task_id(data), body))


@handles("task:start")
async def ws_start(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    body = LeaseRequest.model_validate(_without(data, "task_id"))
    return _dump(await conn.hub.tasks.start(conn.actor, _task_id(data), body))


@handles("task:heartbeat")
async def ws_heartbeat(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    body = LeaseRequest.model_validate(_without(data, "task_id"))
    return _dump(await conn.hub.tasks.heartbeat(conn.actor, _task_id(data), body))


@handles("task:complete")
async def ws_complete(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    body = CompleteRequest.model_validate(_without(data, "task_id"))
    return _dump(await conn.hub.tasks.complete(conn.actor, _task_id(data), body))


@handles("task:fail")
async def ws_fail(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    body = FailRequest.model_validate(_without(data, "task_id"))
    return _dump(await conn.hub.tasks.fail(conn.actor, _task_id(data), body))


@handles("task:reject")
async def ws_reject(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    body = RejectRequest.model_validate(_without(data, "task_id"))
    return _dump(await conn.hub.tasks.reject(conn.actor, _task_id(data), body.reason))
