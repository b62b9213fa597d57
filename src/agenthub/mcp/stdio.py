"""`agenthub mcp --agent NAME`: the tools over stdin/stdout, acting as one agent, kept online by heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from mcp.server.mcpserver import Context

from agenthub.client import AgentClient
from agenthub.client._core import Calls
from agenthub.errors import AgentHubError
from agenthub.mcp.base import call
from agenthub.mcp.identity import Identity
from agenthub.mcp.messaging import MAX_WAIT
from agenthub.mcp.server import build_server

log = logging.getLogger("agenthub.mcp")


async def serve_stdio(identity: Identity, *, subscriptions: list[str] | None = None, heartbeat: float = 10.0) -> None:
    """Serve until stdin closes. Fails fast (an `AgentHubError`) when the hub refuses the agent token."""
    agent = AgentClient(server_url=identity.server_url, agent_token=identity.token, timeout=MAX_WAIT + 30)
    try:
        await agent.register()  # learn who we are; a bad token or an unreachable hub stops here
        for channel in subscriptions or []:
            await agent.subscribe(channel)

        @contextlib.asynccontextmanager
        async def source(_: Context) -> AsyncIterator[AgentClient]:
            yield agent

        beating = asyncio.create_task(_keep_online(agent, heartbeat))
        try:
            await build_server(source).run_stdio_async()
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
    finally:
        await agent.close()


async def _keep_online(agent: AgentClient, every: float) -> None:
    """Heartbeat while the server runs, so the agent shows online and `assign_to: auto` can pick it."""
    while True:
        try:
            await call(agent, Calls.heartbeat(agent.id))
        except AgentHubError as exc:
            log.info("heartbeat failed: %s", exc)
        await asyncio.sleep(every)
