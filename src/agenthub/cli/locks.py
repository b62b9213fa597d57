"""Lock commands of seed 003: `locks`, `lock PATH --intent ...`, `unlock PATH`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.context import JsonFlag

if TYPE_CHECKING:
    from agenthub.models import Lock

DEFAULT_TTL = 900.0  # a CLI lock outlives the command: long enough to edit a file, short enough to lapse


@app.command()
def locks(
    resource: Annotated[str | None, typer.Option(help="only locks overlapping this path or glob")] = None,
    json_out: JsonFlag = False,
) -> None:
    """List the locks held now."""
    with context.client() as client:
        found = client.list_locks(resource)
    if json_out:
        output.print_json(found)
        return
    result = output.table("resource", "mode", "holder", "intent", "expires", "id")
    for lock in found:
        result.add_row(
            output.escape(lock.resource),
            lock.mode.value,
            lock.holder_name or ("operator" if lock.holder_id is None else output.short(lock.holder_id)),
            output.escape(lock.intent or ""),
            output.when(lock.expires_at),
            output.short(lock.id),
        )
    output.show(result if found else "no locks are held")


@app.command()
def lock(
    resource: Annotated[str, typer.Argument(help="a path or a glob such as `src/api/*.py`")],
    intent: Annotated[str | None, typer.Option(help="what you are about to do, for the others to see")] = None,
    ttl: Annotated[float, typer.Option(min=1, help="seconds until the lock lapses unless unlocked")] = DEFAULT_TTL,
    shared: Annotated[bool, typer.Option("--shared", help="a shared (read) lock instead of an exclusive one")] = False,
    wait: Annotated[float, typer.Option(min=0, max=3600, help="seconds to wait for a lock held by another")] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Lock a file (or a glob) so other agents keep off it; a lock held by another fails with its holder."""
    with context.client() as client:
        held = client.acquire_lock(
            resource, intent=intent, ttl_seconds=ttl, mode="shared" if shared else "exclusive", wait_seconds=wait
        )
    if json_out:
        output.print_json(held)
    else:
        output.say(f"locked {held.resource} ({held.mode.value}) until {output.when(held.expires_at)}  [id {held.id}]")


@app.command()
def unlock(
    ref: Annotated[str, typer.Argument(help="the locked path, or the lock's id (or the start of it)")],
    json_out: JsonFlag = False,
) -> None:
    """Release a lock you hold."""
    with context.client() as client:
        me = client.agent.id if client.agent is not None else None
        mine = [held for held in client.list_locks() if held.holder_id == me]
        target = _find(mine, ref)
        client.release_lock(target.id)
    if json_out:
        output.print_json(target)
    else:
        output.say(f"unlocked {target.resource}")


def _find(mine: list[Lock], ref: str) -> Lock:
    by_resource = [held for held in mine if held.resource == ref]
    if by_resource:
        return by_resource[0]
    lock_id = context.resolve_id(ref, (held.id for held in mine), "lock of yours")
    return next(held for held in mine if held.id == lock_id)
