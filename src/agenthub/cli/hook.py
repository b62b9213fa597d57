"""`agenthub hook ...`: hooks that wake LLM coding agents when the hub has something for them."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from typer._click.core import Context as ClickContext  # typer vendors click: its classes are not `click`'s
from typer._click.exceptions import UsageError
from typer.core import TyperCommand

from agenthub.cli.app import app
from agenthub.cli.mcp import AgentName, AgentToken, DataDir, HubToken, HubUrl

hook_app = typer.Typer(help="Hooks for LLM coding agents (Claude Code).", no_args_is_help=True)
app.add_typer(hook_app, name="hook")


class HookCommand(TyperCommand):
    """A wrong hook command line exits 1, not click's usual 2: Claude Code reads exit 2 from a Stop hook as
    "block and show stderr", which would keep the agent from ever stopping."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: ClickContext | None = None, **extra: Any
    ) -> ClickContext:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as exc:
            exc.show()
            raise typer.Exit(1) from None


@hook_app.command("claude-stop", cls=HookCommand)
def claude_stop(
    agent: AgentName,
    wait: Annotated[
        float, typer.Option("--wait", min=0, max=300, help="seconds to wait for something new before letting go")
    ] = 0.0,
    max_blocks: Annotated[
        int, typer.Option("--max-blocks", min=1, help="consecutive blocks per session before a stop goes through")
    ] = 5,
    hub: HubUrl = None,
    data_dir: DataDir = None,
    token: HubToken = None,
    agent_token: AgentToken = None,
) -> None:
    """Claude Code Stop hook: reads the hook JSON on stdin; prints {"decision": "block", ...} while the agent
    has unread messages or new tasks, so it keeps working on them. Always exits 0."""
    from agenthub._local import default_data_dir
    from agenthub.errors import AgentHubError
    from agenthub.mcp.identity import resolve
    from agenthub.mcp.stop_hook import claude_stop as decide

    payload = _read_payload()
    home = (data_dir or default_data_dir()).expanduser()
    try:
        identity = resolve(agent, server_url=hub, hub_token=token, agent_token=agent_token, data_dir=home)
        decision = decide(payload, identity, home, wait=wait, max_blocks=max_blocks)
    except AgentHubError as exc:  # never trap the agent because the hub is away: let the stop through
        typer.echo(f"agenthub hook: {exc.message} [{exc.code}]", err=True)
        return
    if decision is not None:
        typer.echo(json.dumps(decision))


def _read_payload() -> dict[str, Any]:
    try:
        payload = json.loads(sys.stdin.read() or "{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
