"""Board commands of seed 003: `board`, `thread post|reply|show`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.context import JsonFlag, UsageProblem

if TYPE_CHECKING:
    from agenthub.client import Client

thread_app = typer.Typer(help="Post, reply to and read board threads.", no_args_is_help=True)
app.add_typer(thread_app, name="thread")

PRIORITY_MARK = {"urgent": "!!", "high": "!", "normal": "", "low": "·"}


def _text(words: list[str], command: str) -> str:
    import sys

    text = sys.stdin.read().rstrip("\n") if words == ["-"] else " ".join(words)
    if not text.strip():
        raise UsageProblem("the text is empty", command)
    return text


def resolve_thread(client: Client, ref: str) -> str:
    if len(ref) >= 32:
        return ref
    return context.resolve_id(ref, (thread.id for thread in client.list_threads(limit=1000)), "thread")


@app.command()
def board(
    channel: Annotated[str | None, typer.Option(help="only this board channel [default: every board]")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many threads")] = 50,
    json_out: JsonFlag = False,
) -> None:
    """The board: threads, most recently active last."""
    with context.client() as client:
        threads = client.list_threads(channel, limit)
        if json_out:
            output.print_json(threads)
            return
        names = output.Names(client)
        result = output.table("", "id", "title", "by", "replies", "channel", "updated")
        for thread in threads:
            result.add_row(
                PRIORITY_MARK.get(thread.priority.value, ""),
                output.short(thread.id),
                output.escape(thread.title),
                names(thread.author_id),
                str(thread.reply_count),
                thread.channel,
                output.when(thread.updated_at),
            )
        output.show(result if threads else "the board is empty")


@thread_app.command("post")
def post(
    title: Annotated[str, typer.Argument(help="the thread's title")],
    words: Annotated[list[str], typer.Argument(metavar="CONTENT...", help="the first post (`-` reads stdin)")],
    priority: Annotated[str, typer.Option(help="low, normal, high or urgent")] = "normal",
    channel: Annotated[str | None, typer.Option(help="the board channel [default: board]")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Start a thread on the board."""
    content = _text(words, "thread post")
    with context.client() as client:
        thread = client.post_thread(title, content, priority, channel)
    if json_out:
        output.print_json(thread)
    else:
        output.say(f"posted thread {thread.id} {thread.title!r} on {thread.channel}")


@thread_app.command("reply")
def reply(
    ref: Annotated[str, typer.Argument(help="the thread's id (or the start of it)")],
    words: Annotated[list[str], typer.Argument(metavar="CONTENT...", help="the reply (`-` reads stdin)")],
    json_out: JsonFlag = False,
) -> None:
    """Reply to a thread."""
    content = _text(words, "thread reply")
    with context.client() as client:
        answer = client.reply(resolve_thread(client, ref), content)
    if json_out:
        output.print_json(answer)
    else:
        output.say(f"replied to thread {answer.thread_id}")


@thread_app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="the thread's id (or the start of it)")], json_out: JsonFlag = False
) -> None:
    """A thread with its replies, oldest first."""
    with context.client() as client:
        thread = client.get_thread(resolve_thread(client, ref))
        if json_out:
            output.print_json(thread)
            return
        names = output.Names(client)
        result = output.table(
            "when", "who", "post", title=f"{thread.title}  [{thread.priority.value}, {thread.channel}]"
        )
        result.add_row(output.when(thread.created_at), names(thread.author_id), output.escape(thread.content))
        for answer in thread.replies or []:
            result.add_row(output.when(answer.created_at), names(answer.author_id), output.escape(answer.content))
        output.show(result)
