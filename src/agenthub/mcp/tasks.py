"""Tools to split work: create_task, claim_task, complete_task, fail_task (over the SDK's task methods).

Over stdio the one `AgentClient` remembers the lease token of what it claimed and presents it itself, so a
lost lease is refused (409) rather than overwritten; over HTTP the hub checks that the caller is the assignee.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from agenthub.mcp.base import acting, agent_names
from agenthub.mcp.render import dumps, task_view

LEASE_MINUTES = 30.0
"""An LLM works slowly: a claim holds the task this long by default (the hub's own default is 5 minutes)."""


async def create_task(
    ctx: Context,
    title: str,
    description: str = "",
    priority: Annotated[int, Field(ge=1, le=5, description="5 is most urgent")] = 2,
    tags: list[str] | None = None,
    assign_to: Annotated[str | None, Field(description="an agent name, or 'auto'")] = None,
    depends_on: Annotated[list[str] | None, Field(description="ids of tasks to finish first")] = None,
) -> str:
    """Use to hand off a piece of work: it waits in the shared queue until an agent claims it, or goes to
    `assign_to` at once."""
    async with acting(ctx) as agent:
        task = await agent.create_task(
            title, description=description, priority=priority, tags=tags, assign_to=assign_to, depends_on=depends_on
        )
        names = await agent_names(agent)
    return dumps({"task": task_view(task.model_dump(mode="json"), names)})


async def claim_task(
    ctx: Context,
    task_id: Annotated[str | None, Field(description="a task assigned to you; omit to take the next one")] = None,
    tags: Annotated[list[str] | None, Field(description="only a task with one of these tags")] = None,
    lease_minutes: Annotated[float, Field(gt=0, le=1440)] = LEASE_MINUTES,
) -> str:
    """Use when you are ready for work: takes the most urgent ready task (or the assigned `task_id`) for you.
    Finish it with complete_task or fail_task before the lease ends."""
    async with acting(ctx) as agent:
        lease = lease_minutes * 60
        task = await (agent.claim_task(tags, lease) if task_id is None else agent.start_task(task_id, lease))
        if task is None:
            return dumps({"task": None, "note": "no task is ready for you"})
        names = await agent_names(agent)
    return dumps({"task": task_view(task.model_dump(mode="json"), names)})


async def complete_task(
    ctx: Context,
    task_id: str,
    result: str = "",
    claim_next: Annotated[bool, Field(description="also take your next task, in the same step")] = False,
    tags: Annotated[list[str] | None, Field(description="with claim_next: only a task with one of these")] = None,
) -> str:
    """Use when you finished a task you hold: records the result (what you did, where to find it). With
    `claim_next`, you also get the next ready task, as claim_task would give it."""
    async with acting(ctx) as agent:
        if not claim_next:
            task = await agent.complete_task(task_id, result)
            return dumps({"task": {"id": task.id, "status": str(task.status)}})
        following = await agent.complete_and_claim(task_id, result, tags, LEASE_MINUTES * 60)
        done = {"id": task_id, "status": "completed"}
        if following is None:
            return dumps({"task": done, "next": None, "note": "no task is ready for you"})
        names = await agent_names(agent)
    return dumps({"task": done, "next": task_view(following.model_dump(mode="json"), names)})


async def fail_task(
    ctx: Context,
    task_id: str,
    error: str,
    retry: Annotated[bool, Field(description="put it back in the queue for another attempt")] = False,
) -> str:
    """Use when you cannot finish a task you hold: records why, so others know or can retry it."""
    async with acting(ctx) as agent:
        task = await agent.fail_task(task_id, error, retry)
    return dumps({"task": {"id": task.id, "status": str(task.status), "attempts": task.attempts}})


TOOLS: list[Callable[..., Awaitable[str]]] = [create_task, claim_task, complete_task, fail_task]
