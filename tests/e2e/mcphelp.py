"""Real MCP clients for the agenthub tools: over stdio against `agenthub mcp`, over HTTP against a hub's `/mcp`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

from tests.hubproc import HubProcess


def cli_env(hub: HubProcess, **extra: str) -> dict[str, str]:
    """The environment of an `agenthub` command run by a user of this hub (token found in its data dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTHUB_")}
    return env | {"AGENTHUB_URL": hub.url, "AGENTHUB_DATA_DIR": str(hub.data_dir)} | extra


@asynccontextmanager
async def stdio_agent(hub: HubProcess, name: str) -> AsyncIterator[Client]:
    """`agenthub mcp --agent NAME` as a subprocess, driven by the real MCP client."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "agenthub", "mcp", "--agent", name], env=cli_env(hub)
    )
    async with Client(params) as client:
        yield client


@asynccontextmanager
async def http_agent(hub: HubProcess, token: str) -> AsyncIterator[Client]:
    """The hub's `/mcp` endpoint with an agent token as bearer, driven by the real MCP client."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        async with Client(streamable_http_client(f"{hub.url}/mcp", http_client=http)) as client:
            yield client


def text(result: CallToolResult) -> str:
    [content] = result.content
    assert isinstance(content, TextContent)
    return content.text


def ok(result: CallToolResult) -> Any:
    """The decoded answer of a tool call that must have succeeded."""
    assert not result.is_error, text(result)
    return json.loads(text(result))


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return ok(await client.call_tool(tool, arguments))
