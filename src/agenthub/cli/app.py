"""The Typer application; each command group lives in its own module and registers itself here.

`main()` runs it so that every failure is one line on stderr, never a traceback: exit 1 for a failure
(the hub's error, an unreachable hub), 2 for bad usage, 130 for Ctrl-C. Commands may document other
codes (`inbox`: 3 when nothing arrived).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="agenthub",
    help="agenthub: a local-first hub for AI agents to talk, split work and share state.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

EXIT_FAILURE = 1
EXIT_USAGE = 2


COMMAND_MODULES = (
    "chat",
    "inbox",
    "watch",
    "export",
    "tasks",
    "locks",
    "board",
    "approvals",
    "memory",
    "audit",
    "audit_tail",
    "mcp",
    "hook",
    "serve",
)
"""The modules that register commands, in the order `--help` lists them."""


def main() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(f"agenthub.cli.{module}")
    sys.exit(run(sys.argv[1:]))


def run(args: list[str]) -> int:
    """Run the CLI on `args` and return its exit code, reporting errors in one line on stderr."""
    from agenthub.cli.context import CliError, UsageProblem, hub_url
    from agenthub.errors import AgentHubError, HubUnavailable, Unauthorized

    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="agenthub", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except typer.TyperException as exc:  # typer's parsing errors: bad usage, or no arguments at all
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())
            return 0
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        code = getattr(exc, "exit_code", EXIT_USAGE)
        _fail(f"{message} (see `{ctx.command_path if ctx is not None else 'agenthub'} --help`)")
        return code if isinstance(code, int) else EXIT_USAGE
    except UsageProblem as exc:
        _fail(f"{exc} (see `{' '.join(['agenthub', exc.command]).strip()} --help`)")
        return EXIT_USAGE
    except HubUnavailable:
        _fail(f"cannot reach the hub at {hub_url()}: is `agenthub serve` running? (or pass --hub URL)")
        return EXIT_FAILURE
    except Unauthorized as exc:
        _fail(f"{exc.message} (check --token / AGENTHUB_TOKEN, or the token file in the hub's data dir)")
        return EXIT_FAILURE
    except AgentHubError as exc:
        _fail(f"{exc.message} [{exc.code}]")
        return EXIT_FAILURE
    except CliError as exc:
        _fail(str(exc))
        return EXIT_FAILURE
    except Exception as exc:  # the top level: whatever happened, one line and a non-zero exit
        _fail(f"unexpected error: {type(exc).__name__}: {exc}")
        return EXIT_FAILURE
    return code if isinstance(code, int) else 0


def _fail(message: str) -> None:
    typer.echo(f"agenthub: {' '.join(message.split())}", err=True)


@app.callback()
def root(
    hub: Annotated[
        str | None,
        typer.Option("--hub", envvar="AGENTHUB_URL", help="the hub's URL [default: http://127.0.0.1:8000]"),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="AGENTHUB_TOKEN", help="the hub token [default: the token file in the data dir]"
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent",
            envvar="AGENTHUB_AGENT",
            help="act as this agent (registered or reused, its token cached in the data dir) [default: the operator]",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="AGENTHUB_DATA_DIR",
            help="where the hub token and agent tokens live [default: ~/.agenthub]",
        ),
    ] = None,
) -> None:
    """agenthub: a local-first hub for AI agents to talk, split work and share state."""
    from agenthub.cli.context import configure

    configure(hub, token, agent, data_dir)
