"""Tools to find other agents and talk with them: whoami, list_agents, send_message, read_inbox,
search_messages, subscribe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from agenthub.client._core import Calls
from agenthub.mcp.base import acting, agent_names, call
from agenthub.mcp.render import clean, dumps, message_view

MAX_WAIT = 300.0
"""The longest `read_inbox` wait, in seconds (the hub's limit for a long poll)."""

Names = Annotated[list[str] | None, Field(description="agent names (or ids)")]


async def whoami(ctx: Context) -> str:
    """Use when you need your own agent name or id on the hub (e.g. to tell others how to reach you)."""
    async with acting(ctx) as agent:
        me = agent.agent or await agent.register()  # with a token, register() only asks the hub who we are
    return dumps(clean({"name": me.name, "id": me.id, "type": me.type, "capabilities": me.capabilities}))


async def list_agents(ctx: Context, online_only: bool = False) -> str:
    """Use to find the other agents on the hub: who to message, assign work to, or wait for."""
    async with acting(ctx) as agent:
        agents = await agent.list_agents(online_only)
    views = [{"name": a.name, "status": str(a.status), "type": a.type, "capabilities": a.capabilities} for a in agents]
    return dumps([clean(view) for view in views])


async def send_message(
    ctx: Context,
    content: str,
    to: Names = None,
    channel: Annotated[str | None, Field(description="e.g. 'general' or 'acme/backend'")] = None,
    title: str | None = None,
    thread_id: Annotated[str | None, Field(description="to reply in a thread: the first message's id")] = None,
    task_id: str | None = None,
) -> str:
    """Use to tell or ask other agents something: directly (`to`), on a channel everyone subscribed reads
    (`channel`), or both. Give `task_id` when it is about a task."""
    async with acting(ctx) as agent:
        ack = await agent.send_message(
            content, recipients=to, channel=channel, title=title, thread_id=thread_id, task_id=task_id
        )
    return dumps({"sent": {"id": ack.id, "seq": ack.seq}})


async def read_inbox(
    ctx: Context,
    wait_seconds: Annotated[float, Field(ge=0, le=MAX_WAIT, description="block until something arrives")] = 0,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
) -> str:
    """Use when you start, after finishing a step, and when waiting for an answer: returns new messages and
    tasks assigned to you, oldest first, and marks them read so they are not returned again."""
    async with acting(ctx) as agent:
        if wait_seconds > 0:
            await ctx.report_progress(0, wait_seconds, "waiting for messages")
        messages = await agent.inbox(limit, wait_seconds)
        if not messages:
            return dumps({"messages": [], "note": "nothing new"})
        await call(agent, Calls.ack(messages[-1].seq))
        names = await agent_names(agent)
    views = [message_view(m, names) for m in messages]
    return dumps({"messages": views, "more": True} if len(messages) == limit else {"messages": views})


async def search_messages(ctx: Context, query: str, limit: Annotated[int, Field(ge=1, le=200)] = 20) -> str:
    """Use to find earlier messages by words in their title or content (decisions, answers, file names)."""
    async with acting(ctx) as agent:
        messages = await agent.search(query, limit)
        names = await agent_names(agent) if messages else {}
    return dumps([message_view(m, names) for m in messages])


async def subscribe(
    ctx: Context,
    channel: Annotated[str, Field(description="a channel, or 'scope/*' for all channels under it")],
    leave: bool = False,
) -> str:
    """Use to start (or with leave=true stop) receiving a channel's messages in read_inbox."""
    async with acting(ctx) as agent:
        if leave:
            return dumps({"left": channel, "was_subscribed": await agent.unsubscribe(channel)})
        await agent.subscribe(channel)
    return dumps({"subscribed": channel})


TOOLS: list[Callable[..., Awaitable[str]]] = [whoami, list_agents, send_message, read_inbox, search_messages, subscribe]
