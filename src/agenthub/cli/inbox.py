"""`agenthub inbox`: wait for teammates. Prints the agent's unacknowledged messages and acknowledges them.

Exit codes: 0 = printed messages, 3 = nothing arrived within --wait, 1 = an error (2 stays the
code for bad usage, so a loop never mistakes a typo for "no messages yet").
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.chat import mark_read
from agenthub.cli.context import JsonFlag

EXIT_NOTHING = 3
MAX_SERVER_WAIT = 300.0  # the hub's own limit on one long poll


@app.command()
def inbox(
    wait: Annotated[
        float, typer.Option(min=0, help="seconds to block until a first message arrives (0 = do not wait)")
    ] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many messages")] = 50,
    peek: Annotated[bool, typer.Option("--peek", help="print without acknowledging or marking read")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Print the messages waiting for --agent (direct, and in its channels), oldest first, then acknowledge them.

    Exit 0 when messages were printed, 3 when none arrived within --wait, 1 on an error.
    Loop on it to wait for teammates:

    \b
    while agenthub --agent me inbox --wait 600 || [ $? -eq 3 ]; do :; done
    """
    context.require_agent()
    deadline = time.monotonic() + wait
    with context.client(timeout=min(wait, MAX_SERVER_WAIT) + 30) as client:
        messages = client.inbox(limit=limit, wait=min(wait, MAX_SERVER_WAIT))
        while not messages and (left := deadline - time.monotonic()) > 0:
            messages = client.inbox(limit=limit, wait=min(left, MAX_SERVER_WAIT))
        if messages and not peek:
            mark_read(client, messages)
        if json_out:
            output.print_json(messages)
        elif messages:
            output.show(output.message_table(messages, output.Names(client)))
        else:
            output.say("no new messages" + (f" within {wait:g} s" if wait else ""))
        if messages and not peek:
            client.ack(max(m.seq for m in messages))
    if not messages:
        raise typer.Exit(EXIT_NOTHING)
