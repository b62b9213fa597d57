"""`AgentClient`: the async SDK. One agent, one WebSocket for the live stream, HTTP for everything else."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from agenthub._local import default_url, read_local_token
from agenthub.client._core import (
    Call,
    Calls,
    MessageAck,
    PendingRequests,
    StreamState,
    decode_body,
    encode_frame,
    frame_error,
    message_body,
    raise_for_status,
    ws_url,
)
from agenthub.client._tasks import TaskCalls
from agenthub.client.coordination import AsyncCoordination
from agenthub.client.tasks import AsyncTaskMethods
from agenthub.errors import AgentHubError, HubUnavailable, Unauthorized
from agenthub.models import Agent, AgentStatus, Channel, HubStatus, Message, Subscription

T = TypeVar("T")
Handler = Callable[[Any], Awaitable[None] | None]
log = logging.getLogger("agenthub.client")

MAX_BATCH = 1000
RECONNECT_MAX_DELAY = 5.0


class AgentClient(AsyncCoordination, AsyncTaskMethods):
    """An agent's connection to the hub.

    >>> agent = AgentClient(name="my_agent", agent_type="llm", server_url="http://localhost:8000")
    >>> await agent.connect()
    >>> await agent.send_message(content="Hello", recipients=["other_agent"])

    With no token given it registers with the hub token from `AGENTHUB_TOKEN` or the local hub's
    data dir. It reconnects by itself and resumes from the last seq it saw, so handlers see every
    message once, in order; what they finish is acknowledged, so a restarted agent resumes from there.
    Concurrent sends are coalesced into batched frames; every send carries a `msg_id`, so one resent
    after a dropped connection is stored once. `transport` replaces the HTTP transport (the hub's
    `/mcp` endpoint passes `httpx.ASGITransport(app)` to call the hub it runs in without a socket).
    """

    def __init__(
        self,
        name: str | None = None,
        agent_type: str = "script",
        server_url: str | None = None,
        *,
        hub_token: str | None = None,
        agent_token: str | None = None,
        capabilities: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        subscriptions: list[str] | None = None,
        data_dir: Path | None = None,
        heartbeat_interval: float = 10.0,
        auto_ack: bool = True,
        reconnect: bool = True,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.agent_type = agent_type
        self.server_url = (server_url or default_url()).rstrip("/")
        self.capabilities = capabilities or []
        self.metadata = metadata or {}
        self.subscriptions = list(subscriptions or [])
        self.heartbeat_interval = heartbeat_interval
        self.auto_ack = auto_ack
        self.reconnect = reconnect
        self.agent: Agent | None = None
        self.stream = StreamState()
        self._hub_token = hub_token
        self._data_dir = data_dir
        self._token = agent_token
        self._http = httpx.AsyncClient(base_url=self.server_url, timeout=timeout, transport=transport)
        self._ws: ClientConnection | None = None
        self._requests = PendingRequests()
        self._outbox: list[tuple[dict[str, Any], asyncio.Future[MessageAck]]] = []
        self._unacked: dict[str, list[tuple[dict[str, Any], asyncio.Future[MessageAck]]]] = {}
        self._flush_scheduled = False
        self._handlers: dict[str, list[Handler]] = {}
        self._parsers: dict[str, Callable[[dict[str, Any]], Any]] = {"message:received": Message.model_validate}
        self._inbound: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Future[None]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._ack_scheduled = False
        self._memory_watches: list[str] = []
        self._task_calls = TaskCalls()

    # -- identity -----------------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        if self.agent is None:
            raise Unauthorized("the agent is not registered yet: call connect() or register()", code="not_registered")
        return self.agent.id

    async def register(self) -> Agent:
        """Get an agent token (registering by name with the hub token) and learn who we are."""
        if self._token is None:
            hub_token = self._hub_token or read_local_token(self._data_dir)
            if hub_token is None:
                raise Unauthorized(
                    "no hub token: pass hub_token=, set AGENTHUB_TOKEN, or run the hub locally", code="no_token"
                )
            if not self.name:
                raise Unauthorized("give the agent a name to register it", code="no_name")
            body = await self._call(
                Calls.register(self.name, self.agent_type, self.capabilities, self.metadata), token=hub_token
            )
            self._token = str(body["token"])
            self.agent = Agent.model_validate(body["agent"])
        else:
            self.agent = await self._call(Calls.whoami())
            if self.agent is None:
                raise Unauthorized("agent_token is the hub token: give an agent token", code="not_an_agent")
        self.name = self.agent.name
        return self.agent

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def connect(self) -> Agent:
        """Register if needed, open the live stream (replaying what was missed) and start heartbeats."""
        if self.agent is None:
            await self.register()
        self._closing = False
        await self._open()
        self._tasks = [
            asyncio.create_task(self._supervise()),
            asyncio.create_task(self._heartbeat()),
            asyncio.create_task(self._consume()),
        ]
        assert self.agent is not None
        return self.agent

    async def close(self) -> None:
        self._closing = True
        await self._flush_ack()
        for task in self._tasks:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()
        for task in [*self._tasks, *([self._reader] if self._reader else [])]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self._http.aclose()

    async def __aenter__(self) -> AgentClient:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def run_forever(self) -> None:
        """Keep handling the stream until `close()` is called."""
        while not self._closing:
            await asyncio.sleep(3600)

    # -- handlers -----------------------------------------------------------------------------------------

    def on_message(self, handler: Handler) -> Handler:
        """Decorator: `handler(message)` for every message the agent receives, in seq order."""
        return self.on_event("message:received")(handler)

    def on_event(
        self, event: str, parse: Callable[[dict[str, Any]], Any] | None = None
    ) -> Callable[[Handler], Handler]:
        """Decorator for any hub event (`agent:joined`, `task:assigned`, ...); `parse` turns its data into a model."""

        def register(handler: Handler) -> Handler:
            self._handlers.setdefault(event, []).append(handler)
            if parse is not None:
                self._parsers[event] = parse
            return handler

        return register

    # -- the WebSocket --------------------------------------------------------------------------------------

    async def _open(self) -> None:
        assert self._token is not None
        url = ws_url(self.server_url, self.id)
        try:
            ws = await connect(url, additional_headers={"Authorization": f"Bearer {self._token}"}, max_size=None)
        except (OSError, InvalidStatus, WebSocketException, TimeoutError) as exc:
            raise HubUnavailable(f"cannot open the stream at {url}: {exc}") from None
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws))
        await self._request("agent:register", {"since": self.stream.last_seq, "subscriptions": self.subscriptions})
        self._connected.set()
        await self._rewatch()
        unacked = [item for items in self._unacked.values() for item in items]
        self._unacked.clear()
        if unacked:  # sent on a lost connection: resend (their msg_id keeps them stored once)
            self._outbox[:0] = unacked
            self._schedule_flush()

    async def _supervise(self) -> None:
        delay = 0.1
        while not self._closing:
            assert self._reader is not None
            await asyncio.shield(self._reader)
            if self._closing or not self.reconnect:
                return
            self._connected.clear()
            while not self._closing:
                try:
                    await self._open()
                    delay = 0.1
                    break
                except AgentHubError as exc:
                    log.info("reconnect failed (%s); retrying in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RECONNECT_MAX_DELAY)

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self._dispatch(orjson.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            self._ws = None
            lost = HubUnavailable("the connection to the hub was lost")
            for future in self._requests.waiting.values():
                if not future.done():
                    future.set_exception(lost)
            self._requests.waiting.clear()

    def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind in ("ack", "error"):
            request_id = str(frame.get("id"))
            future = self._requests.waiting.pop(request_id, None)
            sends = self._unacked.pop(request_id, None)
            if kind == "error":
                if sends:
                    self._fail_sends(sends, frame_error(frame))
                if future is not None and not future.done():
                    future.set_exception(frame_error(frame))
                elif future is None and sends is None:
                    log.warning("hub error: %s", frame.get("error"))
                return
            data = frame.get("data") or {}
            if sends:
                acks = data["messages"] if "messages" in data else [data]
                for (_, send_future), ack in zip(sends, acks, strict=True):
                    if not send_future.done():
                        send_future.set_result(MessageAck.model_validate(ack))
            if future is not None and not future.done():
                future.set_result(data)
            return
        seq = frame.get("seq")
        if isinstance(seq, int) and not self.stream.accept(seq):
            return
        self._inbound.put_nowait(frame)

    def _fail_sends(self, sends: list[tuple[dict[str, Any], asyncio.Future[MessageAck]]], error: AgentHubError) -> None:
        if len(sends) == 1:
            if not sends[0][1].done():
                sends[0][1].set_exception(error)
            return
        # A coalesced batch fails whole: send each message alone so every caller gets its own answer.
        ws = self._ws
        for item in sends:
            if ws is None:
                self._outbox.append(item)
            else:
                self._send_frame(ws, [item], batch=False)

    async def _consume(self) -> None:
        """Run handlers one entry at a time, in seq order; acknowledge what they finished."""
        while True:
            frame = await self._inbound.get()
            kind = str(frame.get("type"))
            handlers = self._handlers.get(kind, [])
            data = frame.get("data") or {}
            payload = self._parsers[kind](data) if kind in self._parsers and handlers else data
            for handler in handlers:
                try:
                    result = handler(payload)
                    if inspect.isawaitable(result):
                        await result
                except Exception:  # a failing handler must not stop the stream
                    log.exception("handler for %s failed", kind)
            seq = frame.get("seq")
            if isinstance(seq, int) and self.auto_ack and self.stream.processed(seq):
                self._schedule_ack()

    def _schedule_ack(self) -> None:
        if not self._ack_scheduled:
            self._ack_scheduled = True
            asyncio.get_running_loop().call_later(0.05, self._start_ack)

    def _start_ack(self) -> None:
        task = asyncio.ensure_future(self._flush_ack())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _flush_ack(self) -> None:
        self._ack_scheduled = False
        seq = self.stream.pending_ack
        if seq <= self.stream.acked_seq or self._ws is None:
            return
        with contextlib.suppress(AgentHubError):
            await self._request("message:ack", {"seq": seq})
            self.stream.acked_seq = max(self.stream.acked_seq, seq)

    async def ack(self, seq: int) -> None:
        """Acknowledge everything up to `seq` (done for you after handlers run, unless auto_ack=False)."""
        self.stream.processed(seq)
        await self._flush_ack()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            if self._ws is not None:
                with contextlib.suppress(ConnectionClosed):
                    await self._ws.send(encode_frame("agent:heartbeat", {}))

    async def _request(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        ws = self._ws
        if ws is None:
            raise HubUnavailable("not connected to the hub")
        request_id = self._requests.new_id()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._requests.waiting[request_id] = future
        try:
            await ws.send(encode_frame(kind, data, request_id))
        except ConnectionClosed:
            self._requests.waiting.pop(request_id, None)
            raise HubUnavailable("the connection to the hub was lost") from None
        return await future

    async def request(self, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send any request frame over the WebSocket and return its ack's data."""
        return await self._request(kind, data or {})

    # -- sending ----------------------------------------------------------------------------------------

    async def send_message(
        self,
        content: str,
        *,
        recipients: list[str] | None = None,
        channel: str | None = None,
        **fields: Any,
    ) -> MessageAck:
        """Publish to recipients (ids or names), a channel, or both; returns once the hub stored it durably.
        Other fields: title, thread_id, task_id, message_type, metadata, msg_id."""
        body = message_body(content, channel=channel, recipients=recipients, **fields)
        if not self._tasks:  # not connected: plain HTTP
            message = await self._call(Calls.send(body))
            return MessageAck(id=message.id, seq=message.seq, duplicate=message.duplicate)
        future: asyncio.Future[MessageAck] = asyncio.get_running_loop().create_future()
        self._outbox.append((body, future))
        self._schedule_flush()
        return await future

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_sends)

    def _flush_sends(self) -> None:
        self._flush_scheduled = False
        ws = self._ws
        if ws is None or not self._connected.is_set():
            return  # resent by _open() after the reconnect
        while self._outbox:
            batch, self._outbox = self._outbox[:MAX_BATCH], self._outbox[MAX_BATCH:]
            self._send_frame(ws, batch, batch=len(batch) > 1)

    def _send_frame(
        self, ws: ClientConnection, items: list[tuple[dict[str, Any], asyncio.Future[MessageAck]]], batch: bool
    ) -> None:
        request_id = self._requests.new_id()
        self._unacked[request_id] = items
        data = {"messages": [body for body, _ in items]} if batch else items[0][0]
        task = asyncio.ensure_future(self._send_raw(ws, encode_frame("message:send", data, request_id)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @staticmethod
    async def _send_raw(ws: ClientConnection, frame: str) -> None:
        with contextlib.suppress(ConnectionClosed):  # the sends stay unacked and are resent on reconnect
            await ws.send(frame)

    # -- HTTP operations -------------------------------------------------------------------------------

    async def _call(self, call: Call[T], token: str | None = None) -> T:
        token = token or self._token
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.json, headers=headers
            )
        except httpx.TransportError as exc:
            raise HubUnavailable(f"cannot reach the hub at {self.server_url}: {exc}") from None
        body = decode_body(response.content)
        raise_for_status(response.status_code, body)
        return call.parse(response.status_code, body)

    async def send_messages(self, messages: list[dict[str, Any]]) -> list[Message]:
        """Publish several messages in one commit over HTTP (each a dict of `send_message`'s fields)."""
        bodies = [message_body(**m) for m in messages]
        return await self._call(Calls.send_batch(bodies))

    async def history(self, channel: str | None = None, **filters: Any) -> list[Message]:
        return await self._call(Calls.history(channel, **filters))

    async def get_message(self, message_id: str) -> Message:
        return await self._call(Calls.message(message_id))

    async def mark_read(self, message_id: str) -> Message:
        return await self._call(Calls.mark_read(message_id))

    async def inbox(self, limit: int = 50, wait: float = 0) -> list[Message]:
        return await self._call(Calls.inbox(limit, wait))

    async def search(self, text: str, limit: int = 50) -> list[Message]:
        return await self._call(Calls.search(text, limit))

    async def subscribe(self, channel: str) -> Subscription:
        if channel not in self.subscriptions:
            self.subscriptions.append(channel)
        return await self._call(Calls.subscribe(channel))

    async def unsubscribe(self, channel: str) -> bool:
        if channel in self.subscriptions:
            self.subscriptions.remove(channel)
        return await self._call(Calls.unsubscribe(channel))

    async def channels(self) -> list[Channel]:
        return await self._call(Calls.channels())

    async def list_agents(self, online: bool = False) -> list[Agent]:
        return await self._call(Calls.agents(online))

    async def get_agent(self, agent: str) -> Agent:
        return await self._call(Calls.agent(agent))

    async def set_status(self, status: AgentStatus | str) -> Agent:
        return await self._call(Calls.set_status(self.id, status))

    async def status(self) -> HubStatus:
        return await self._call(Calls.status())
