"""Chat commands of seed 002: `send`, `read`, `channels`, `agents`, `status`, `whoami`; and `hung`, `subscribe`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.context import JsonFlag, UsageProblem

if TYPE_CHECKING:
    from rich.table import Table

    from agenthub.client import Client
    from agenthub.models import HubStatus, Message


@app.command()
def send(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="[CHANNEL] MESSAGE...",
            help="the channel then the message (without --to); a message of `-` is read from stdin",
            show_default=False,
        ),
    ],
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="send directly to this agent (name or id); repeat for several", show_default=False),
    ] = None,
    title: Annotated[str | None, typer.Option(help="a title for the message")] = None,
    thread: Annotated[str | None, typer.Option(help="the thread id it belongs to")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Send a message to a channel, or directly to agents with --to.

    \b
    agenthub send general "build is green"
    agenthub --agent alice send --to reviewer please look at PR 12
    """
    recipients = list(to or [])
    if recipients:
        channel, parts = None, words
    elif len(words) < 2:
        raise UsageProblem("give a channel and a message, or --to AGENT and a message", "send")
    else:
        channel, parts = words[0], words[1:]
    content = sys.stdin.read().rstrip("\n") if parts == ["-"] else " ".join(parts)
    if not content.strip():
        raise UsageProblem("the message is empty", "send")
    with context.client() as client:
        ack = client.send_message(content, channel=channel, recipients=recipients, title=title, thread_id=thread)
    if json_out:
        output.print_json(ack)
    else:
        target = f"#{channel}" if channel else ", ".join(recipients)
        output.say(f"sent to {target} (seq {ack.seq}){'  [duplicate]' if ack.duplicate else ''}")


@app.command()
def read(
    channel: Annotated[
        str | None,
        typer.Argument(help="the channel [default: every message you may see, direct ones included]"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many messages")] = 50,
    since: Annotated[int | None, typer.Option(min=0, help="only messages after this seq (oldest first)")] = None,
    before: Annotated[int | None, typer.Option(min=0, help="only messages before this seq")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Show a channel's messages, newest last (direct messages show receipts: · sent, ✓ delivered, ✓✓ read)."""
    with context.client() as client:
        messages = client.history(channel, since=since, before=before, limit=limit)
        if client.agent is not None:
            mark_read(client, messages)
        if json_out:
            output.print_json(messages)
            return
        if not messages:
            output.say(f"no messages in #{channel}" if channel else "no messages")
            return
        output.show(output.message_table(messages, output.Names(client)))


def mark_read(client: Client, messages: list[Message]) -> None:
    """Mark the direct messages to this agent read (the sender sees ✓✓), updating them in place."""
    me = client.id
    for index, message in enumerate(messages):
        receipts = {r.agent_id: r for r in message.receipts or []}
        if me in message.recipients and (me not in receipts or receipts[me].read_at is None):
            messages[index] = client.mark_read(message.id)


@app.command()
def subscribe(
    channel: Annotated[str, typer.Argument(help="a channel, a scope such as `acme/*`, or `*` for every channel")],
    json_out: JsonFlag = False,
) -> None:
    """Subscribe --agent to a channel: its messages then reach `inbox` and `watch`."""
    context.require_agent()
    with context.client() as client:
        subscription = client.subscribe(channel)
    if json_out:
        output.print_json(subscription)
    else:
        output.say(f"subscribed to {subscription.pattern} (from seq {subscription.since_seq})")


@app.command()
def unsubscribe(
    channel: Annotated[str, typer.Argument(help="the channel or scope")], json_out: JsonFlag = False
) -> None:
    """Unsubscribe --agent from a channel."""
    context.require_agent()
    with context.client() as client:
        removed = client.unsubscribe(channel)
    if json_out:
        output.print_json({"pattern": channel, "removed": removed})
    else:
        output.say(f"unsubscribed from {channel}" if removed else f"was not subscribed to {channel}")


@app.command()
def channels(json_out: JsonFlag = False) -> None:
    """List the channels, with message and subscriber counts."""
    with context.client() as client:
        found = client.channels()
    if json_out:
        output.print_json(found)
        return
    result = output.table("channel", "messages", "subscribers", "last seq", "created")
    for channel in found:
        result.add_row(
            channel.name,
            str(channel.message_count),
            str(channel.subscribers),
            str(channel.last_seq),
            output.when(channel.created_at),
        )
    output.show(result if found else "no channels yet")


@app.command()
def agents(
    online: Annotated[bool, typer.Option("--online", help="only agents that are online")] = False,
    json_out: JsonFlag = False,
) -> None:
    """List the agents and their presence."""
    with context.client() as client:
        found = client.list_agents(online=online)
    if json_out:
        output.print_json(found)
        return
    result = output.table("agent", "type", "status", "capabilities", "last seen", "id")
    for agent in found:
        result.add_row(
            agent.name,
            agent.type,
            agent.status.value,
            ", ".join(agent.capabilities),
            output.when(agent.last_seen),
            agent.id,
        )
    output.show(result if found else "no agents yet")


@app.command()
def hung(json_out: JsonFlag = False) -> None:
    """Agents that hold tasks or locks but stopped heartbeating."""
    from agenthub.client._cli_calls import CliCalls

    with context.client() as client:
        found = client._call(CliCalls.hung())
    if json_out:
        output.print_json(found)
        return
    result = output.table("agent", "status", "tasks", "locks", "last seen")
    for entry in found:
        result.add_row(
            entry.agent.name,
            entry.agent.status.value,
            str(entry.tasks),
            str(entry.locks),
            output.when(entry.agent.last_seen),
        )
    output.show(result if found else "no hung agents")


@app.command()
def status(json_out: JsonFlag = False) -> None:
    """The hub's status: version, agents, channels, messages. Exits 1 when the hub reports anything but "ok"
    (it can no longer store anything), so a script may use it as a health check."""
    with context.client() as client:
        hub = client.status()
    if json_out:
        output.print_json(hub)
    else:
        output.show(_status_table(hub))
    if hub.status != "ok":
        raise context.CliError(f"the hub cannot store anything now ({hub.status}): see its log, then restart it")


def _status_table(hub: HubStatus) -> Table:
    result = output.table("", "")
    result.show_header = False
    for key, value in [
        ("hub", context.hub_url()),
        ("status", hub.status),
        ("version", hub.version),
        ("agents", f"{hub.agents} ({hub.online_agents} online)"),
        ("channels", str(hub.channels)),
        ("messages", str(hub.messages)),
        ("last seq", str(hub.last_seq)),
        ("uptime", f"{hub.uptime_seconds:.0f} s"),
    ]:
        result.add_row(key, value)
    return result


@app.command()
def whoami(json_out: JsonFlag = False) -> None:
    """Who commands act as: the --agent (registered on first use) or the operator."""
    with context.client() as client:
        agent = client.agent
    if json_out:
        output.print_json({"operator": agent is None, "agent": agent, "hub": context.hub_url()})
    elif agent is None:
        output.say(f"the operator (hub token) at {context.hub_url()}")
    else:
        output.say(f"agent {agent.name} ({agent.id}) at {context.hub_url()}")
