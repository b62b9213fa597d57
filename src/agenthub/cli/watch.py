"""`agenthub watch CHANNEL...`: print a channel's messages live, over the WebSocket.

As an agent (`--agent`) it uses the SDK's `AgentClient`, subscribed to the channels; as the operator it
reads the operator stream (every message) and keeps the channels asked for. Either way it starts at the
hub's latest seq (or `--since`), and after a dropped connection it resumes from the last seq it saw, so
each message is printed exactly once. It does not acknowledge: `inbox` still shows what it printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.context import UsageProblem

if TYPE_CHECKING:
    from agenthub.models import Message

RECONNECT_MAX_DELAY = 5.0
REGISTER_ID = "watch"


@app.command()
def watch(
    channels: Annotated[
        list[str] | None,
        typer.Argument(help="channels (or scopes such as `acme/*`) [default: everything you receive]"),
    ] = None,
    since: Annotated[int | None, typer.Option(min=0, help="replay from after this seq first [default: now]")] = None,
    count: Annotated[int | None, typer.Option(min=1, help="exit after printing this many messages")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON object per line (JSON Lines)")] = False,
) -> None:
    """Print messages live as they arrive, until Ctrl-C (or --count); survives hub restarts."""
    from agenthub.models import check_subscription

    patterns = list(channels or [])
    for pattern in patterns:
        try:
            check_subscription(pattern)
        except ValueError as exc:
            raise UsageProblem(str(exc), "watch") from None
    with context.client() as client:
        start = since if since is not None else client.status().last_seq
        names = output.Names(client)
        token = client.token or ""
        is_agent = client.agent is not None
        printer = Printer(patterns, names, json_out, count)
        if is_agent:
            asyncio.run(_watch_as_agent(token, patterns, start, printer))
        else:
            asyncio.run(_watch_as_operator(token, start, printer))


class Printer:
    """Prints the messages a watch wants, and says when --count is reached."""

    def __init__(self, patterns: list[str], names: output.Names, json_out: bool, count: int | None) -> None:
        self.patterns = patterns
        self.names = names
        self.json_out = json_out
        self.left = count
        self.done = asyncio.Event()

    def wanted(self, message: Message) -> bool:
        from agenthub.models import covers

        if not self.patterns:
            return True
        return message.channel is not None and any(covers(p, message.channel) for p in self.patterns)

    async def __call__(self, message: Message) -> None:
        if self.done.is_set() or not self.wanted(message):
            return
        if self.json_out:
            output.print_json_line(message)
        else:
            line = await asyncio.to_thread(output.message_line, message, self.names)
            print(line, flush=True)  # noqa: T201 - the stream itself
        if self.left is not None:
            self.left -= 1
            if self.left == 0:
                self.done.set()


async def _watch_as_agent(token: str, patterns: list[str], start: int, printer: Printer) -> None:
    from agenthub.client import AgentClient

    agent = AgentClient(
        server_url=context.hub_url(), agent_token=token, subscriptions=patterns, auto_ack=False, heartbeat_interval=10
    )
    agent.stream.last_seq = start  # resume point from the first connection on: never the stored cursor
    agent.on_message(printer)
    await agent.connect()
    try:
        await printer.done.wait()
    finally:
        await agent.close()


async def _watch_as_operator(token: str, start: int, printer: Printer) -> None:
    """The operator stream (`/ws/operator` with the hub token): every message; reconnects and resumes by seq."""
    stream = asyncio.create_task(_operator_stream(token, start, printer))
    done = asyncio.create_task(printer.done.wait())
    await asyncio.wait([stream, done], return_when=asyncio.FIRST_COMPLETED)
    for task in (stream, done):
        task.cancel()
    if stream.done() and not stream.cancelled() and (error := stream.exception()) is not None:
        raise error


async def _operator_stream(token: str, start: int, on_message: Callable[[Message], Awaitable[None]]) -> None:
    import orjson
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus, WebSocketException

    from agenthub.client._core import encode_frame, frame_error, ws_url
    from agenthub.models import Message

    url = ws_url(context.hub_url(), "operator")
    position = start
    delay = 0.1
    while True:
        try:
            async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
                await ws.send(encode_frame("agent:register", {"since": position}, REGISTER_ID))
                async for raw in ws:
                    frame = orjson.loads(raw)
                    kind = frame.get("type")
                    if kind == "error":
                        raise frame_error(frame)  # a refused token or a bad request: retrying will not help
                    if kind == "ack" and frame.get("id") == REGISTER_ID:
                        position = max(position, int((frame.get("data") or {}).get("replayed_to") or 0))
                        delay = 0.1
                    elif kind == "message:received" and isinstance(seq := frame.get("seq"), int) and seq > position:
                        position = seq
                        await on_message(Message.model_validate(frame.get("data") or {}))
        except (OSError, InvalidStatus, WebSocketException, TimeoutError):
            pass
        await asyncio.sleep(delay)  # the hub went away: back off, then resume from `position`
        delay = min(delay * 2, RECONNECT_MAX_DELAY)
