"""`WS /ws/{agent_id}`: request frames in, acks, errors and the live stream out.

Each connection has one outbox (a `Session`) drained by one sender task, so acks,
events and stream frames never interleave mid-frame and a slow reader only fills
its own buffer. Requests run as tasks, started in arrival order; a publish queues
its write before it first yields, so one connection's messages keep their order
even when many are in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from agenthub.errors import AgentHubError, BadRequest, Forbidden, RateLimited, TooLarge
from agenthub.hub import Actor, Hub, Session
from agenthub.server.deps import bearer_token
from agenthub.server.errors import as_hub_error

router = APIRouter()

MAX_IN_FLIGHT = 512
SLOW_CONSUMER_CLOSE = 1013  # "try again later"
# Frames written before the close may be lost with it, so only the client knows where to resume.
SLOW_CONSUMER_REASON = "slow consumer: reconnect with since=<the last seq you received>"
POLICY_CLOSE = 1008
SEND_MANY = "agenthub.send_many"
"""The ASGI extension `agenthub serve` adds (`server/ws_protocol.py`): several frames in one `websocket.send`."""

Handler = Callable[["Connection", dict[str, Any]], Awaitable[Any]]
"""A request handler: gets the connection and the frame's `data`, returns the ack's `data` or raises."""
HANDLERS: dict[str, Handler] = {}
Submitter = Callable[["Connection", dict[str, Any]], "asyncio.Future[Any]"]
"""A request handler that queues its work at once and returns the future of the ack's `data` (or raises): the
hot requests (publishing) skip the task a coroutine handler costs."""
SUBMITTERS: dict[str, Submitter] = {}


def handles(event: str) -> Callable[[Handler], Handler]:
    """Register the handler of a client -> hub request type; each feature's router module registers its own."""

    def register(handler: Handler) -> Handler:
        HANDLERS[event] = handler
        return handler

    return register


def submits(event: str) -> Callable[[Submitter], Submitter]:
    """Register a `Submitter` as the handler of a client -> hub request type."""

    def register(submitter: Submitter) -> Submitter:
        SUBMITTERS[event] = submitter
        return submitter

    return register


def _frame(kind: str, request_id: Any, key: str, value: Any) -> str:
    body: dict[str, Any] = {"type": kind, key: value}
    if request_id is not None:
        body["id"] = request_id
    return orjson.dumps(body, option=orjson.OPT_UTC_Z).decode()


def _error(error: AgentHubError) -> dict[str, Any]:
    """An error frame's body: the HTTP error body plus the status, so clients rebuild the same error class."""
    return {**error.to_body()["error"], "status": error.status}


class Connection:
    def __init__(self, websocket: WebSocket, hub: Hub, actor: Actor) -> None:
        self.websocket = websocket
        self.hub = hub
        self.actor = actor
        self.session = Session(actor.agent_id, hub.settings.send_buffer_frames)
        self.registered = False
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_close: list[Callable[[], None]] = []
        """Run when the connection ends: features drop what they keep per connection (memory watches)."""

    @property
    def agent_id(self) -> str:
        if self.actor.agent_id is None:
            raise BadRequest("the operator connection cannot do that: use an agent token", code="agent_only")
        return self.actor.agent_id

    def send_error(self, request_id: Any, error: AgentHubError) -> None:
        self.session.push_event(_frame("error", request_id, "error", _error(error)))

    async def run(self) -> None:
        if self.actor.agent_id is not None:
            self.hub.presence.connected(self.actor.agent_id)
        sender = asyncio.create_task(self._send_loop())
        try:
            await self._receive_loop(sender)
        finally:
            for task in self._tasks:
                task.cancel()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            self.hub.messages.close_session(self.session)
            for close in self.on_close:
                close()
            if self.actor.agent_id is not None:
                self.hub.presence.disconnected(self.actor.agent_id)

    async def _receive_loop(self, sender: asyncio.Task[None]) -> None:
        limit = self.hub.settings.max_frame_bytes
        while not sender.done():
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                self.send_error(None, BadRequest("binary frames are not accepted: send JSON text", code="binary_frame"))
                continue
            if len(text) > limit // 4 and len(text.encode()) > limit:
                self.send_error(None, TooLarge(f"frames are limited to {limit} bytes", code="frame_too_large"))
                continue
            try:
                frame = orjson.loads(text)
            except orjson.JSONDecodeError:
                self.send_error(None, BadRequest("the frame is not valid JSON", code="malformed_frame"))
                continue
            if not isinstance(frame, dict):
                self.send_error(
                    None, BadRequest('a frame is a JSON object with a string "type"', code="malformed_frame")
                )
                continue
            request_id = frame.get("id")
            if request_id is not None and (not isinstance(request_id, (str, int)) or isinstance(request_id, bool)):
                self.send_error(None, BadRequest('"id" must be a string or an integer', code="malformed_frame"))
                continue
            if not isinstance(frame.get("type"), str):
                error = BadRequest('a frame is a JSON object with a string "type"', code="malformed_frame")
                self.send_error(request_id, error)
                continue
            try:
                self.hub.limiter.check(self.actor)
            except RateLimited as exc:
                self.send_error(request_id, exc)
                continue
            handler = HANDLERS.get(frame["type"])
            submitter = SUBMITTERS.get(frame["type"])
            if handler is None and submitter is None:
                error = BadRequest(f"unknown event type {frame['type']!r}", code="unknown_event")
                self.send_error(request_id, error)
                continue
            data = frame.get("data", {})
            if not isinstance(data, dict):
                self.send_error(request_id, BadRequest('"data" must be a JSON object', code="malformed_frame"))
                continue
            await self._slots.acquire()
            if submitter is not None:
                self._submit(submitter, request_id, data)
                continue
            assert handler is not None
            task = asyncio.create_task(self._handle(handler, request_id, data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, handler: Handler, request_id: Any, data: dict[str, Any]) -> None:
        try:
            result = await handler(self, data)
        except Exception as exc:
            self._fail(request_id, exc)
        else:
            self._ack(request_id, result)
        finally:
            self._slots.release()

    def _submit(self, submitter: Submitter, request_id: Any, data: dict[str, Any]) -> None:
        try:
            answer = submitter(self, data)
        except Exception as exc:
            self._slots.release()
            self._fail(request_id, exc)
            return
        answer.add_done_callback(partial(self._answered, request_id))

    def _answered(self, request_id: Any, answer: asyncio.Future[Any]) -> None:
        self._slots.release()
        if answer.cancelled():
            return
        error = answer.exception()
        if error is not None:
            self._fail(request_id, error)
        else:
            self._ack(request_id, answer.result())

    def _ack(self, request_id: Any, result: Any) -> None:
        if request_id is not None:
            self.session.push_event(_frame("ack", request_id, "data", result if result is not None else {}))

    def _fail(self, request_id: Any, error: BaseException) -> None:
        # a bug in one request must not take the connection down: it is answered 500 like the rest
        self.send_error(request_id, as_hub_error(error, "websocket request failed"))

    async def _send_loop(self) -> None:
        session = self.session
        websocket = self.websocket
        send_many = SEND_MANY in websocket.scope.get("extensions", {})
        while True:
            await session.ready.wait()
            if session.overflowed:
                await websocket.close(code=SLOW_CONSUMER_CLOSE, reason=SLOW_CONSUMER_REASON)
                return
            items = session.take()
            if send_many:
                await websocket.send({"type": "websocket.send", "texts": [frame for frame, _, _ in items]})
            else:
                for frame, _, _ in items:
                    await websocket.send_text(frame)
            direct = [seq for _, seq, is_direct in items if is_direct]
            if direct and self.actor.agent_id is not None:
                self.hub.messages.delivered(self.actor.agent_id, direct)


@router.websocket("/ws/{agent_id}")
async def agent_socket(websocket: WebSocket, agent_id: str) -> None:
    hub: Hub = websocket.app.state.hub
    token = bearer_token(websocket.headers.get("authorization", ""))
    if token is None:
        token = websocket.query_params.get("token")
    await websocket.accept()
    try:
        actor = await hub.agents.authenticate(token)
        if actor.agent_id is not None and agent_id not in (actor.agent_id, actor.name):
            raise Forbidden("this token belongs to another agent", code="not_yourself")
    except AgentHubError as exc:
        await websocket.send_text(_frame("error", None, "error", _error(exc)))
        await websocket.close(code=POLICY_CLOSE, reason=exc.code)
        return
    with contextlib.suppress(WebSocketDisconnect):
        await Connection(websocket, hub, actor).run()
