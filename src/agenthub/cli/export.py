"""`agenthub export CHANNEL`: a channel's whole history as JSON Lines, with a progress bar for people."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app

PAGE = 1000


@app.command()
def export(
    channel: Annotated[str, typer.Argument(help="the channel to export")],
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here [default: stdout]", show_default=False)
    ] = None,
    since: Annotated[int, typer.Option(min=0, help="start after this seq")] = 0,
) -> None:
    """Write every message of a channel, oldest first, one JSON object per line (a progress bar shows on a
    terminal while it pages through the history)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with context.client() as client:
        total = next((c.message_count for c in client.channels() if c.name == channel), 0)
        progress = Progress(
            TextColumn(f"#{channel}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=output.err_console(),
            transient=True,
            disable=not output.err_console().is_terminal,
        )
        sink = out.open("w", encoding="utf-8") if out is not None else sys.stdout
        written = 0
        try:
            with progress:
                bar = progress.add_task("export", total=total or None)
                position = since
                while True:
                    page = client.history(channel, since=position, limit=PAGE)
                    for message in page:
                        sink.write(message.model_dump_json() + "\n")
                    written += len(page)
                    progress.update(bar, completed=written)
                    if len(page) < PAGE:
                        break
                    position = page[-1].seq
        finally:
            if out is not None:
                sink.close()
    if out is not None:
        output.say(f"exported {written} messages of #{channel} to {out}")
