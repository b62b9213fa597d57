"""The SDK's sans-IO core: every call as a request description plus a parser, and the stream bookkeeping.

`AgentClient` (async) and `Client` (sync) only move bytes; what to send and how to read
the answer is decided here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import orjson
from pydantic import BaseModel, TypeAdapter

from agenthub._ids import new_ordered_id
from agenthub.errors import AgentHubError, error_from_body
from agenthub.models import Agent, AgentStatus, Channel, HubStatus, Message, MessageCreate, Subscription

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One HTTP request and how to read its answer."""

    method: str
    path: str
    parse: Callable[[int, Any], T]
    params: dict[str, Any] | None = None
    json: Any = None


class MessageAck(BaseModel):
    """What a publish over the WebSocket is acknowledged with."""

    id: str
    seq: int
    duplicate: bool = False


def _model(model: type[T]) -> Callable[[int, Any], T]:
    adapter: TypeAdapter[T] = TypeAdapter(model)
    return lambda _, body: adapter.validate_python(body)


def _none(_: int, __: Any) -> None:
    return None


def _list(model: type[T]) -> Callable[[int, Any], list[T]]:
    adapter: TypeAdapter[list[T]] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return lambda _, body: adapter.validate_python(body)


def raise_for_status(status: int, body: Any) -> None:
    if status >= 400:
        raise error_from_body(status, body)


def decode_body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return {"error": {"code": "bad_response", "message": content[:200].decode(errors="replace")}}


def path_part(value: str) -> str:
    """Quote an id or name for a URL path; `/` is kept (channel names and keys are taken whole)."""
    return quote(value, safe="/*")


def ws_url(server_url: str, agent: str) -> str:
    parts = urlsplit(server_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, f"{parts.path.rstrip('/')}/ws/{path_part(agent)}", "", ""))


def message_body(
    content: str,
    *,
    channel: str | None = None,
    recipients: list[str] | None = None,
    msg_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A validated publish body; every SDK publish carries a `msg_id` so a resend after a dropped
    connection is stored once."""
    create = MessageCreate(
        content=content,
        channel=channel,
        recipients=recipients or [],
        msg_id=msg_id or new_ordered_id(),
        **fields,
    )
    return create.model_dump(mode="json", exclude_defaults=True) | {"msg_id": create.msg_id}


def encode_frame(kind: str, data: dict[str, Any], request_id: str | None = None) -> str:
    frame: dict[str, Any] = {"type": kind, "data": data}
    if request_id is not None:
        frame["id"] = request_id
    return orjson.dumps(frame).decode()


class Calls:
    """Every HTTP operation of the messaging spine."""

    @staticmethod
    def register(
        name: str,
        agent_type: str,
        capabilities: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        parent_id: str | None = None,
    ) -> Call[dict[str, Any]]:
        body = {"name": name, "type": agent_type, "capabilities": capabilities or [], "metadata": metadata or {}}
        if parent_id is not None:
            body["parent_id"] = parent_id
        return Call("POST", "/api/agents/register", lambda _, b: dict(b), json=body)

    @staticmethod
    def whoami() -> Call[Agent | None]:
        return Call("GET", "/api/me", lambda _, b: None if b is None else Agent.model_validate(b))

    @staticmethod
    def agents(online: bool = False) -> Call[list[Agent]]:
        return Call("GET", "/api/agents/online" if online else "/api/agents", _list(Agent), params={"limit": 1000})

    @staticmethod
    def agent(agent: str) -> Call[Agent]:
        return Call("GET", f"/api/agents/{path_part(agent)}", _model(Agent))

    @staticmethod
    def set_status(agent_id: str, status: AgentStatus | str) -> Call[Agent]:
        return Call("PUT", f"/api/agents/{path_part(agent_id)}/status", _model(Agent), json={"status": str(status)})

    @staticmethod
    def heartbeat(agent_id: str) -> Call[Agent]:
        return Call("POST", f"/api/agents/{path_part(agent_id)}/heartbeat", _model(Agent))

    @staticmethod
    def send(body: dict[str, Any]) -> Call[Message]:
        return Call("POST", "/api/messages", _model(Message), json=body)

    @staticmethod
    def send_batch(bodies: list[dict[str, Any]]) -> Call[list[Message]]:
        adapter = TypeAdapter(list[Message])
        return Call(
            "POST",
            "/api/messages/batch",
            lambda _, b: adapter.validate_python(b["messages"]),
            json={"messages": bodies},
        )

    @staticmethod
    def history(
        channel: str | None = None,
        *,
        sender_id: str | None = None,
        thread_id: str | None = None,
        since: int | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> Call[list[Message]]:
        params = {"channel": channel, "sender_id": sender_id, "thread_id": thread_id, "since": since, "before": before}
        clean = {key: value for key, value in params.items() if value is not None} | {"limit": limit}
        return Call("GET", "/api/messages", _list(Message), params=clean)

    @staticmethod
    def message(message_id: str) -> Call[Message]:
        return Call("GET", f"/api/messages/{path_part(message_id)}", _model(Message))

    @staticmethod
    def delete_message(message_id: str) -> Call[None]:
        return Call("DELETE", f"/api/messages/{path_part(message_id)}", _none)

    @staticmethod
    def mark_read(message_id: str) -> Call[Message]:
        return Call("POST", f"/api/messages/{path_part(message_id)}/read", _model(Message))

    @staticmethod
    def inbox(limit: int = 50, wait: float = 0) -> Call[list[Message]]:
        return Call("GET", "/api/inbox", _list(Message), params={"limit": limit, "wait": wait})

    @staticmethod
    def ack(seq: int) -> Call[int]:
        return Call("POST", "/api/inbox/ack", lambda _, b: int(b["cursor"]), json={"seq": seq})

    @staticmethod
    def search(text: str, limit: int = 50) -> Call[list[Message]]:
        return Call("GET", "/api/search", _list(Message), params={"q": text, "limit": limit})

    @staticmethod
    def channels() -> Call[list[Channel]]:
        return Call("GET", "/api/channels", _list(Channel), params={"limit": 1000})

    @staticmethod
    def subscribe(channel: str) -> Call[Subscription]:
        return Call("POST", f"/api/channels/{path_part(channel)}/subscribe", _model(Subscription))

    @staticmethod
    def unsubscribe(channel: str) -> Call[bool]:
        return Call("POST", f"/api/channels/{path_part(channel)}/unsubscribe", lambda _, b: bool(b["removed"]))

    @staticmethod
    def status() -> Call[HubStatus]:
        return Call("GET", "/api/status", _model(HubStatus))


@dataclass
class StreamState:
    """What the client has seen of its durable stream, so a reconnect resumes with no gap and no duplicate."""

    last_seq: int | None = None
    acked_seq: int = 0
    pending_ack: int = 0

    def accept(self, seq: int) -> bool:
        """True the first time a seq is seen; replays at or below the last seen seq are dropped."""
        if self.last_seq is not None and seq <= self.last_seq:
            return False
        self.last_seq = seq
        return True

    def processed(self, seq: int) -> bool:
        """Note a handled entry; True when an acknowledgement should be scheduled."""
        if seq > self.pending_ack:
            self.pending_ack = seq
        return self.pending_ack > self.acked_seq


@dataclass
class PendingRequests:
    """Requests sent over the WebSocket and waiting for their `ack` or `error` frame."""

    next_id: int = 0
    waiting: dict[str, Any] = field(default_factory=dict)

    def new_id(self) -> str:
        self.next_id += 1
        return f"r{self.next_id}"


def frame_error(frame: dict[str, Any]) -> AgentHubError:
    """The hub's error from an `error` frame (which carries the HTTP status its error class shares)."""
    error = frame.get("error") or {}
    status = error.get("status")
    return error_from_body(status if isinstance(status, int) else 400, {"error": error})
