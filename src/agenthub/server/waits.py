"""Requests that wait (a long poll, a blocking lock, an approval) end when their client goes away.

Starlette runs a route to its end even after the client has closed the connection, so a wait of minutes
would finish on behalf of nobody: note inbox messages as delivered to a reader who is gone, take a lock for a
holder who is gone (and keep others out until its TTL lapses). `unless_abandoned` runs the route's work
while it listens for the client's disconnect, and cancels the work when the disconnect comes first. A wait
cut short this way has done nothing; only a disconnect during the final write (a commit, milliseconds) can
still leave its effect behind, as it would for any request, except a lock, which the hub then releases
(`Locks.acquire`).

`/metrics` shows how many requests are waiting (`app.state.waiting_requests` as `agenthub_waiting_requests`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import Request

from agenthub.errors import BadRequest

T = TypeVar("T")


async def unless_abandoned(request: Request, work: Coroutine[Any, Any, T], wait: float) -> T:
    """The result of `work`, unless the client disconnects first: then `work` is cancelled, and the answer
    (a 400 `client_gone`) goes nowhere. With `wait` 0 (the request does not wait) `work` just runs."""
    if not wait:
        return await work
    state = request.app.state  # `waiting_requests`, set to 0 by `create_app`
    state.waiting_requests += 1
    try:
        return await _answer_unless_gone(request, work)
    finally:
        state.waiting_requests -= 1


async def _answer_unless_gone(request: Request, work: Coroutine[Any, Any, T]) -> T:
    answer = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait((answer, gone), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the hub is stopping: the work stops with the route
        answer.cancel()
        raise
    finally:
        gone.cancel()
    if answer.done() or gone.exception() is not None:  # answered, or the disconnect could not be heard
        return await answer
    answer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await answer
    raise BadRequest("the client closed the connection while the request waited", code="client_gone")


async def _disconnect(request: Request) -> None:
    """Returns when the client has gone: the request's body was read before the route ran, so what the
    server has left to give is the disconnect (or, on a finished response, the same message)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
