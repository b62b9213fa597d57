"""`build_server(source)`: the agenthub MCP server with every tool registered."""

from __future__ import annotations

from agenthub.mcp import coordination, messaging, tasks
from agenthub.mcp.base import AgentSource, HubMCP

TOOLS = [*messaging.TOOLS, *tasks.TOOLS, *coordination.TOOLS]


def build_server(source: AgentSource) -> HubMCP:
    """The server whose tools act as the agent `source` gives for each call.

    Tools return compact JSON text (no output schemas), which keeps the tool list small."""
    server = HubMCP(source)
    for tool in TOOLS:
        description = " ".join((tool.__doc__ or "").split())  # one line: no docstring indentation on the wire
        server.add_tool(tool, description=description, structured_output=False)
    return server
