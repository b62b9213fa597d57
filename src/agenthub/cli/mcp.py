"""`agenthub mcp --agent NAME`: the hub's tools for an LLM agent, over MCP on stdin/stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agenthub.cli.app import app

AgentName = Annotated[
    str, typer.Option("--agent", envvar="AGENTHUB_AGENT", help="act as this agent (registered on first use)")
]
HubUrl = Annotated[
    str | None, typer.Option("--hub", envvar="AGENTHUB_URL", help="the hub's URL [default: http://127.0.0.1:8000]")
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", envvar="AGENTHUB_DATA_DIR", help="hub token and cached agent tokens [default: ~/.agenthub]"
    ),
]
HubToken = Annotated[
    str | None, typer.Option("--token", envvar="AGENTHUB_TOKEN", help="the hub token, to register the agent")
]
AgentToken = Annotated[
    str | None,
    typer.Option("--agent-token", envvar="AGENTHUB_AGENT_TOKEN", help="act with this agent token instead"),
]


@app.command("mcp")
def mcp_server(
    agent: AgentName,
    hub: HubUrl = None,
    data_dir: DataDir = None,
    token: HubToken = None,
    agent_token: AgentToken = None,
    subscribe: Annotated[
        list[str] | None, typer.Option("--subscribe", help="channel to receive in read_inbox (repeatable)")
    ] = None,
) -> None:
    """Serve the hub's tools over MCP on stdin/stdout, acting as agent NAME (for Claude Code, Codex, ...)."""
    import anyio

    from agenthub.errors import AgentHubError
    from agenthub.mcp.identity import resolve
    from agenthub.mcp.stdio import serve_stdio

    try:
        identity = resolve(agent, server_url=hub, hub_token=token, agent_token=agent_token, data_dir=data_dir)
        anyio.run(lambda: serve_stdio(identity, subscriptions=subscribe))
    except AgentHubError as exc:
        raise SystemExit(f"agenthub mcp: {exc.message} [{exc.code}]") from None
