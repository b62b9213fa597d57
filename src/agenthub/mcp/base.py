"""The MCP server object and how a tool call learns which agent it acts as.

A tool is a plain typed function whose signature and docstring are its schema. It asks `acting(ctx)`
for the SDK's `AgentClient` of the calling agent: over stdio that is the one agent the process was
started for; over HTTP it is built from the request's bearer token. A hub error becomes a tool error
with the hub's message (an `isError` result), never a crash of the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from agenthub import __version__
from agenthub.client import AgentClient
from agenthub.client._core import Call
from agenthub.errors import AgentHubError
from agenthub.mcp.render import error_text

T = TypeVar("T")
AgentSource = Callable[[Context], AbstractAsyncContextManager[AgentClient]]
"""Gives the `AgentClient` a tool call acts as, for the duration of the call."""

INSTRUCTIONS = (
    "agenthub connects you with other agents working on the same project. Check read_inbox when you start "
    "and after finishing a step; answer with send_message; share work as tasks; keep shared state in memory; "
    "lock files before editing ones others may touch."
)


class HubMCP(MCPServer[Any]):
    """The agenthub MCP server: the hub's tools, acting as the agent `source` gives for each call."""

    def __init__(self, source: AgentSource) -> None:
        super().__init__(name="agenthub", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
        self.agent_source = source


@asynccontextmanager
async def acting(ctx: Context) -> AsyncIterator[AgentClient]:
    """The calling agent's client; a hub error inside the block is reported as a tool error."""
    server = ctx.mcp_server
    if not isinstance(server, HubMCP):  # pragma: no cover - tools are only registered on a HubMCP
        raise ToolError("this tool runs only in the agenthub MCP server")
    try:
        async with server.agent_source(ctx) as agent:
            yield agent
    except AgentHubError as exc:
        raise ToolError(error_text(exc)) from exc
    except ValidationError as exc:  # the SDK checks some fields before sending (channel names, ...)
        raise ToolError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc


async def call(agent: AgentClient, request: Call[T]) -> T:
    """Run one of the SDK's sans-IO calls over the agent's HTTP client (for calls `AgentClient` has no method
    for over HTTP: its `ack` works only on a live WebSocket, and it has no HTTP heartbeat)."""
    return await agent._call(request)


async def agent_names(agent: AgentClient) -> dict[str, str]:
    """Agent id -> name, to show names instead of ids."""
    return {a.id: a.name for a in await agent.list_agents()}
