"""`agenthub audit tail`: the newest audit entries, and with --follow, new ones as they are appended.

Registered on the `audit` group of `cli/audit.py` (which has `verify` and `export`)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.audit import audit_app
from agenthub.cli.context import JsonFlag

if TYPE_CHECKING:
    from agenthub.models import AuditEntry

FOLLOW_POLL_SECONDS = 1.0


@audit_app.command("tail")
def tail(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="how many of the newest entries")] = 20,
    actor: Annotated[str | None, typer.Option(help="only entries by this agent (name or id)")] = None,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. task.completed")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new entries until Ctrl-C")] = False,
    json_out: JsonFlag = False,
) -> None:
    """The newest audit entries, oldest first (with --json and --follow: one JSON object per line)."""
    from agenthub.client._cli_calls import CliCalls

    with context.client() as client:
        actor_id = client.get_agent(actor).id if actor else None
        entries = client._call(CliCalls.audit(actor_id=actor_id, action=action, limit=limit))
        names = output.Names(client)
        if json_out and not follow:
            output.print_json(entries)
            return
        if not follow:
            result = output.table("id", "at", "actor", "action", "subject", "details")
            for entry in entries:
                result.add_row(*_cells(entry, names))
            output.show(result if entries else "no audit entries")
            return
        last = 0
        while True:
            for entry in entries:
                if json_out:
                    output.print_json_line(entry)
                else:
                    print("  ".join(_cells(entry, names)), flush=True)  # noqa: T201 - the stream itself
                last = entry.id
            time.sleep(FOLLOW_POLL_SECONDS)  # the hub has no audit stream: poll for entries after the last
            entries = client._call(CliCalls.audit(actor_id=actor_id, action=action, after=last, limit=1000))


def _cells(entry: AuditEntry, names: output.Names) -> tuple[str, str, str, str, str, str]:
    subject = f"{entry.subject_type}:{output.short(entry.subject_id)}" if entry.subject_id else entry.subject_type
    details = json.dumps(entry.details, ensure_ascii=False) if entry.details else ""
    return (str(entry.id), output.when(entry.at), names(entry.actor_id), entry.action, subject, details[:100])
