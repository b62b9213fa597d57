"""Approval commands of seed 003: `approvals`, `approve ID`, `deny ID`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.context import JsonFlag

if TYPE_CHECKING:
    from agenthub.client import Client
    from agenthub.models import Approval

ApprovalRef = Annotated[str, typer.Argument(help="the request's id (or the start of it)")]
Reason = Annotated[str | None, typer.Option(help="why, for the record", show_default=False)]


def resolve_approval(client: Client, ref: str) -> str:
    if len(ref) >= 32:
        return ref
    return context.resolve_id(ref, (a.id for a in client.list_approvals(limit=1000)), "approval request")


@app.command()
def approvals(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, denied or expired [default: all]", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many")] = 50,
    json_out: JsonFlag = False,
) -> None:
    """Approval requests, newest last."""
    with context.client() as client:
        found = client.list_approvals(status, limit)
        if json_out:
            output.print_json(found)
            return
        names = output.Names(client)
        result = output.table("", "id", "action", "details", "by", "status", "decided by", "expires")
        for request in found:
            mark = {"approved": output.CHECK, "denied": "✗"}.get(request.status.value, "")
            result.add_row(
                mark,
                output.short(request.id),
                output.escape(request.action),
                output.escape(json.dumps(request.details) if request.details else ""),
                names(request.requester_id),
                request.status.value,
                names(request.decided_by) if request.decided_by or request.decided_at else "",
                output.when(request.expires_at),
            )
        output.show(result if found else "no approval requests")


@app.command()
def approve(ref: ApprovalRef, reason: Reason = None, json_out: JsonFlag = False) -> None:
    """Approve a pending request (not your own)."""
    with context.client() as client:
        decided = client.approve(resolve_approval(client, ref), reason)
    _done(decided, json_out)


@app.command()
def deny(ref: ApprovalRef, reason: Reason = None, json_out: JsonFlag = False) -> None:
    """Deny a pending request (not your own)."""
    with context.client() as client:
        decided = client.deny(resolve_approval(client, ref), reason)
    _done(decided, json_out)


def _done(decided: Approval, json_out: bool) -> None:
    if json_out:
        output.print_json(decided)
    else:
        output.say(f"{decided.status.value}: {decided.action} [{decided.id}]")
