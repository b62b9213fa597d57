"""The Typer application; each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="agenthub",
    help="agenthub: a local-first hub for AI agents to talk, split work and share state.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def main() -> None:
    from agenthub.cli import hook, mcp, serve  # noqa: F401  (register their commands)

    app()


@app.callback()
def root() -> None:
    """agenthub: a local-first hub for AI agents to talk, split work and share state."""
