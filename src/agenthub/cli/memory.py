"""Shared memory commands: `memory get|set|rm|ls|history`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.context import JsonFlag

memory_app = typer.Typer(help="Read and write the hub's shared, versioned memory.", no_args_is_help=True)
app.add_typer(memory_app, name="memory")

Key = Annotated[str, typer.Argument(help="the key (may contain `/`)")]


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@memory_app.command("get")
def get(key: Key, json_out: JsonFlag = False) -> None:
    """Print a key's value (text as is, anything else as JSON)."""
    with context.client() as client:
        memory = client.get_memory(key)
    if json_out:
        output.print_json(memory)
    else:
        output.say(_show(memory.value))


@memory_app.command("set")
def set_(
    key: Key,
    value: Annotated[str, typer.Argument(help="the value: JSON if it parses as JSON, else text")],
    if_version: Annotated[
        int | None,
        typer.Option(min=0, help="only if the key is at this version (0: only if it does not exist)"),
    ] = None,
    ttl: Annotated[float | None, typer.Option(min=1, help="expire the key this many seconds after the write")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Write a key; with --if-version it is a compare-and-set (a mismatch fails with the current version)."""
    with context.client() as client:
        memory = client.set_memory(key, context.parse_value(value), if_version=if_version, ttl_seconds=ttl)
    if json_out:
        output.print_json(memory)
    else:
        output.say(f"{memory.key} is at version {memory.version}")


@memory_app.command("rm")
def remove(
    key: Key,
    if_version: Annotated[int | None, typer.Option(min=1, help="only if the key is at this version")] = None,
) -> None:
    """Delete a key."""
    with context.client() as client:
        client.delete_memory(key, if_version)
    output.say(f"deleted {key}")


@memory_app.command("ls")
def ls(
    prefix: Annotated[str, typer.Argument(help="only keys starting with this")] = "",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many keys")] = 1000,
    json_out: JsonFlag = False,
) -> None:
    """List keys with their version and value."""
    with context.client() as client:
        found = client.list_memory(prefix, limit)
        if json_out:
            output.print_json(found)
            return
        names = output.Names(client)
        result = output.table("key", "version", "value", "updated by", "updated", "expires")
        for memory in found:
            result.add_row(
                output.escape(memory.key),
                str(memory.version),
                output.escape(_show(memory.value)[:80]),
                names(memory.updated_by),
                output.when(memory.updated_at),
                output.when(memory.expires_at),
            )
        output.show(result if found else "no keys" + (f" start with {prefix!r}" if prefix else ""))


@memory_app.command("history")
def history(key: Key, json_out: JsonFlag = False) -> None:
    """Every version of a key, oldest first."""
    with context.client() as client:
        versions = client.memory_history(key)
        if json_out:
            output.print_json(versions)
            return
        names = output.Names(client)
        result = output.table("version", "change", "value", "by", "at")
        for version in versions:
            result.add_row(
                str(version.version),
                version.change.value,
                "" if version.value is None else output.escape(_show(version.value)[:80]),
                names(version.actor_id),
                output.when(version.at),
            )
        output.show(result if versions else f"{key!r} has no history")
