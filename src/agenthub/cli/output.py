"""How commands print: Rich tables for people, one JSON document for scripts (`--json`), one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from agenthub.client import Client
    from agenthub.models import Message

CHECK = "✓"
READ = "✓✓"
SENT = "·"

_TIME_COLUMNS = frozenset({"time", "at", "when", "created", "updated", "expires", "last seen", "lease until"})
PIPE_WIDTH = 200  # stdout is a pipe or a file: wide lines grep better than wrapped ones

_console: Console | None = None
_err_console: Console | None = None


def console() -> Console:
    global _console
    if _console is None:
        import os

        from rich.console import Console

        plain = not sys.stdout.isatty() and not os.environ.get("COLUMNS")
        _console = Console(highlight=False, width=PIPE_WIDTH if plain else None)
    return _console


def err_console() -> Console:
    """stderr, for progress bars (stdout stays data)."""
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False)
    return _err_console


def jsonable(value: Any) -> Any:
    """Pydantic models (and lists or dicts of them) as plain JSON values."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def print_json(value: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(orjson.dumps(jsonable(value), option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z).decode() + "\n")
    sys.stdout.flush()


def print_json_line(value: Any) -> None:
    """One JSON document per line, flushed at once (for streams such as `watch`)."""
    sys.stdout.write(orjson.dumps(jsonable(value), option=orjson.OPT_UTC_Z).decode() + "\n")
    sys.stdout.flush()


def table(*columns: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    result = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for column in columns:
        result.add_column(column, no_wrap=column in _TIME_COLUMNS)
    return result


def show(renderable: Any) -> None:
    console().print(renderable)


def say(text: str) -> None:
    """A plain line for people (no markup interpretation)."""
    console().print(text, markup=False, soft_wrap=True)


def short(identifier: str | None) -> str:
    """The first 8 characters of a UUID (commands accept such a prefix back); anything else whole."""
    if identifier is None:
        return ""
    return identifier[:8] if len(identifier) == 36 and identifier.count("-") == 4 else identifier


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def short_time(value: datetime) -> str:
    return value.strftime("%H:%M:%S")


class Names:
    """Agent ids shown as names (one directory call, made on first need)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._names: dict[str, str] | None = None

    def __call__(self, agent_id: str | None) -> str:
        if agent_id is None:
            return "operator"
        if self._names is None:
            self._names = {agent.id: agent.name for agent in self._client.list_agents()}
        return self._names.get(agent_id, agent_id[:8])

    def many(self, agent_ids: Iterable[str]) -> str:
        return ", ".join(self(agent_id) for agent_id in agent_ids)


def receipt_mark(message: Message) -> str:
    """✓✓ read by every recipient, ✓ delivered to every recipient, · sent; empty for channel messages."""
    receipts = message.receipts or []
    if not message.recipients:
        return ""
    if receipts and all(r.read_at is not None for r in receipts):
        return READ
    if receipts and all(r.delivered_at is not None or r.read_at is not None for r in receipts):
        return CHECK
    return SENT


def message_table(messages: Sequence[Message], names: Names, title: str | None = None) -> Table:
    """Messages newest-last: seq, time, where, sender, receipt marks, content."""
    result = table("seq", "time", "to", "from", "", "message", title=title)
    for message in messages:
        where = f"#{message.channel}" if message.channel else ""
        if message.recipients:
            where = " ".join(filter(None, [where, "@" + names.many(message.recipients).replace(", ", " @")]))
        text = message.content if not message.title else f"[{message.title}] {message.content}"
        result.add_row(
            str(message.seq),
            when(message.created_at),
            where,
            names(message.sender_id),
            receipt_mark(message),
            escape(text),
        )
    return result


def message_line(message: Message, names: Names) -> str:
    """One line for a stream: `[seq] time #channel sender: content`."""
    where = f"#{message.channel}" if message.channel else "(direct)"
    title = f"[{message.title}] " if message.title else ""
    return (
        f"[{message.seq}] {short_time(message.created_at)} {where} {names(message.sender_id)}: {title}{message.content}"
    )


def escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
