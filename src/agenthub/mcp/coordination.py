"""Tools to share state and stay out of each other's way: memory_get, memory_set (compare-and-set),
lock_files, unlock_files, request_approval, post_to_board."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from agenthub._time import to_iso
from agenthub.client._coordination import CoordinationCalls
from agenthub.mcp.base import acting, agent_names, call
from agenthub.mcp.render import clean, dumps
from agenthub.models import Approval, Memory

MAX_WAIT = 300.0


def _memory_view(memory: Memory, names: dict[str, str]) -> dict[str, Any]:
    by = memory.updated_by or memory.created_by
    return clean(
        {
            "key": memory.key,
            "value": memory.value,
            "version": memory.version,
            "updated_by": names.get(by, by) if by else "operator",
            "updated_at": to_iso(memory.updated_at),
        }
    )


def _approval_view(approval: Approval) -> dict[str, Any]:
    return clean(
        {
            "approval_id": approval.id,
            "action": approval.action,
            "status": str(approval.status),
            "reason": approval.reason,
            "expires_at": to_iso(approval.expires_at),
        }
    )


async def memory_get(ctx: Context, key: str) -> str:
    """Use to read shared state other agents keep (the plan, decisions, who does what); the version it
    returns is the if_version for memory_set."""
    async with acting(ctx) as agent:
        memory = await agent.get_memory(key)
        names = await agent_names(agent)
    return dumps(_memory_view(memory, names))


async def memory_set(
    ctx: Context,
    key: Annotated[str, Field(description="e.g. 'plan/api' ('/' makes namespaces)")],
    value: Any,
    if_version: Annotated[int | None, Field(ge=0, description="the version you read; 0: only if new")] = None,
) -> str:
    """Use to write shared state. Pass if_version so that a change another agent made since you read it is
    refused as a conflict instead of overwritten; the conflict shows the key as it is now (its value and
    version), so merge your change into it and retry with that version."""
    async with acting(ctx) as agent:
        memory = await agent.set_memory(key, value, if_version=if_version)
    return dumps({"key": memory.key, "version": memory.version})


async def lock_files(
    ctx: Context,
    path: Annotated[str, Field(description="a file, directory or glob, e.g. 'src/api/*.py'")],
    intent: str | None = None,
    minutes: Annotated[float, Field(gt=0, le=1440)] = 30,
    wait_seconds: Annotated[float, Field(ge=0, le=MAX_WAIT)] = 0,
    shared: Annotated[bool, Field(description="only reading: others may read too")] = False,
) -> str:
    """Use before editing files other agents may touch. Refused, naming the holder, while someone holds an
    overlapping lock. Release with unlock_files when done."""
    async with acting(ctx) as agent:
        lock = await agent.acquire_lock(
            path,
            intent=intent,
            ttl_seconds=minutes * 60,
            mode="shared" if shared else "exclusive",
            wait_seconds=wait_seconds,
        )
    return dumps({"lock_id": lock.id, "path": lock.resource, "expires_at": to_iso(lock.expires_at)})


async def unlock_files(ctx: Context, lock_id: str) -> str:
    """Use when done with files you locked with lock_files."""
    async with acting(ctx) as agent:
        await agent.release_lock(lock_id)
    return dumps({"released": lock_id})


async def request_approval(
    ctx: Context,
    action: Annotated[str, Field(description="what you want to do, for a person to judge")] = "",
    details: dict[str, Any] | None = None,
    wait_seconds: Annotated[float, Field(ge=0, le=MAX_WAIT)] = 60,
    approval_id: Annotated[str | None, Field(description="to wait again for an earlier request")] = None,
) -> str:
    """Use before a risky or irreversible step (deploying, deleting data, spending money): asks a person and
    waits up to wait_seconds for the decision. Go ahead only if the status is approved."""
    async with acting(ctx) as agent:
        if approval_id is None:
            if not action.strip():
                raise ToolError("say in `action` what you want to do, or give the approval_id of a request")
            approval = await call(agent, CoordinationCalls.create_approval(action, details))
            approval_id = approval.id
        approval = await call(agent, CoordinationCalls.get_approval(approval_id, wait_seconds))
    return dumps(_approval_view(approval))


async def post_to_board(
    ctx: Context,
    title: str,
    content: str,
    priority: Literal["low", "normal", "high", "urgent"] = "normal",
    channel: str | None = None,
) -> str:
    """Use to raise something for the whole team (a proposal, a blocker, a question for everyone) as a board
    thread others can reply to."""
    async with acting(ctx) as agent:
        thread = await agent.post_thread(title, content, priority, channel)
    return dumps({"thread_id": thread.id, "title": thread.title})


TOOLS: list[Callable[..., Awaitable[str]]] = [
    memory_get,
    memory_set,
    lock_files,
    unlock_files,
    request_approval,
    post_to_board,
]
