"""Wire models: the JSON shapes of shared/PROTOCOL.md, shared by the hub and the SDK."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "CHANNEL_RE",
    "Agent",
    "AgentStatus",
    "AgentUpdate",
    "Channel",
    "ChannelName",
    "HubStatus",
    "Message",
    "MessageBatch",
    "MessageCreate",
    "MessageType",
    "Receipt",
    "RegisterRequest",
    "RegisterResponse",
    "StatusUpdate",
    "SubscribeRequest",
    "Subscription",
    "check_channel",
    "check_subscription",
    "covers",
]

CHANNEL_RE = re.compile(r"[a-z0-9][a-z0-9._/-]{0,127}")


def check_channel(name: str) -> str:
    """Validate a channel name: `[a-z0-9][a-z0-9._/-]{0,127}`."""
    if not CHANNEL_RE.fullmatch(name):
        raise ValueError(f"channel name {name!r} must match [a-z0-9][a-z0-9._/-]{{0,127}}")
    return name


def check_subscription(pattern: str) -> str:
    """Validate a subscription: a channel name, a scope ending in `/*`, or `*` for every channel."""
    if pattern == "*":
        return pattern
    check_channel(pattern.removesuffix("/*"))
    return pattern


def covers(pattern: str, channel: str) -> bool:
    """Whether a subscription pattern covers a channel: exact, `scope/*` (any depth), or `*`."""
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        return channel.startswith(pattern[:-1])
    return pattern == channel


ChannelName = Annotated[str, AfterValidator(check_channel)]
SubscriptionPattern = Annotated[str, AfterValidator(check_subscription)]
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]*$")]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentStatus(StrEnum):
    online = "online"
    offline = "offline"
    busy = "busy"
    error = "error"


class MessageType(StrEnum):
    text = "text"
    system = "system"
    error = "error"
    info = "info"
    status = "status"
    request = "request"
    discovery = "discovery"
    coordination = "coordination"


class Agent(_Wire):
    id: str
    name: str
    type: str
    status: AgentStatus
    capabilities: list[str]
    metadata: dict[str, Any]
    parent_id: str | None
    created_at: datetime
    last_seen: datetime | None


class RegisterRequest(_Wire):
    name: Name
    type: str = Field(default="script", max_length=64)
    capabilities: list[Annotated[str, Field(max_length=128)]] = Field(default_factory=list, max_length=256)
    metadata: dict[str, Any] = Field(default_factory=dict)
    parent_id: str | None = None


class RegisterResponse(_Wire):
    agent: Agent
    token: str


class AgentUpdate(_Wire):
    type: str | None = Field(default=None, max_length=64)
    capabilities: list[Annotated[str, Field(max_length=128)]] | None = Field(default=None, max_length=256)
    metadata: dict[str, Any] | None = None


class StatusUpdate(_Wire):
    status: AgentStatus


class Receipt(_Wire):
    agent_id: str
    delivered_at: datetime | None
    read_at: datetime | None


class Message(_Wire):
    id: str
    seq: int
    channel: str | None
    sender_id: str | None
    recipients: list[str]
    task_id: str | None
    thread_id: str | None
    title: str | None
    content: str
    message_type: MessageType
    metadata: dict[str, Any]
    created_at: datetime
    msg_id: str | None = None
    duplicate: bool = False
    receipts: list[Receipt] | None = None


class MessageCreate(_Wire):
    """One publish. Give `channel`, `recipients` (agent ids or names), or both."""

    content: str
    channel: ChannelName | None = None
    recipients: list[str] = Field(default_factory=list, max_length=1000)
    task_id: str | None = Field(default=None, max_length=128)
    thread_id: str | None = Field(default=None, max_length=128)
    title: str | None = Field(default=None, max_length=1000)
    message_type: MessageType = MessageType.text
    metadata: dict[str, Any] = Field(default_factory=dict)
    msg_id: str | None = Field(default=None, min_length=1, max_length=200)


class MessageBatch(_Wire):
    messages: list[MessageCreate] = Field(min_length=1, max_length=1000)


class Channel(_Wire):
    name: str
    message_count: int
    last_seq: int
    subscribers: int
    created_at: datetime


class SubscribeRequest(_Wire):
    """Optional body of `POST /api/channels/{channel}/subscribe`: `scope: true` subscribes to `channel/*`."""

    scope: bool = False


class Subscription(_Wire):
    agent_id: str
    pattern: str
    since_seq: int


class HubStatus(_Wire):
    status: str
    version: str
    agents: int
    online_agents: int
    channels: int
    messages: int
    last_seq: int
    uptime_seconds: float
