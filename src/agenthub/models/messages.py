"""Messages, receipts, channels and subscriptions on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from agenthub.models.common import ChannelName, JsonObject, Text, Wire


class MessageType(StrEnum):
    text = "text"
    system = "system"
    error = "error"
    info = "info"
    status = "status"
    request = "request"
    discovery = "discovery"
    coordination = "coordination"


class Receipt(Wire):
    agent_id: str
    delivered_at: datetime | None
    read_at: datetime | None


class Message(Wire):
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


class MessageCreate(Wire):
    """One publish. Give `channel`, `recipients` (agent ids or names), or both."""

    content: Text
    channel: ChannelName | None = None
    recipients: list[Annotated[Text, Field(max_length=128)]] = Field(default_factory=list, max_length=1000)
    task_id: Text | None = Field(default=None, max_length=128)
    thread_id: Text | None = Field(default=None, max_length=128)
    title: Text | None = Field(default=None, max_length=1000)
    message_type: MessageType = MessageType.text
    metadata: JsonObject = Field(default_factory=dict)
    msg_id: Text | None = Field(default=None, min_length=1, max_length=200)


class MessageBatch(Wire):
    messages: list[MessageCreate] = Field(min_length=1, max_length=1000)


class Channel(Wire):
    name: str
    message_count: int
    last_seq: int
    subscribers: int
    created_at: datetime


class SubscribeRequest(Wire):
    """Optional body of `POST /api/channels/{channel}/subscribe`: `scope: true` subscribes to `channel/*`."""

    scope: bool = False


class Subscription(Wire):
    agent_id: str
    pattern: str
    since_seq: int
