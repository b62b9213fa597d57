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

EXIT_DENIED = 3
EXIT_EXPIRED = 4

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


@app.command("request-approval")
def request_approval(
    action: Annotated[str, typer.Argument(help="what you want to do, e.g. `deploy api to prod`")],
    details: Annotated[
        str | None,
        typer.Option(help='a JSON object with the particulars, e.g. \'{"env": "prod"}\'', show_default=False),
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="seconds before the request lapses to expired")] = 3600,
    json_out: JsonFlag = False,
) -> None:
    """Ask for approval and wait for the decision: exit 0 approved, 3 denied, 4 expired.

    \b
    agenthub --agent codex-1 request-approval "drop table users" --timeout 600 && ./drop.sh
    """
    from agenthub.cli.context import UsageProblem

    parsed = context.parse_value(details) if details is not None else {}
    if not isinstance(parsed, dict):
        raise UsageProblem("--details must be a JSON object", "request-approval")
    with context.client(timeout=330) as client:
        decided = client.request_approval(action, parsed, timeout)
    _done(decided, json_out)
    if decided.status.value == "denied":
        raise typer.Exit(EXIT_DENIED)
    if decided.status.value != "approved":
        raise typer.Exit(EXIT_EXPIRED)


def _done(decided: Approval, json_out: bool) -> None:
    if json_out:
        output.print_json(decided)
    else:
        reason = f" ({decided.reason})" if decided.reason else ""
        output.say(f"{decided.status.value}: {decided.action}{reason} [{decided.id}]")
