"""Board threads and their replies on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from agenthub.models.common import ChannelName, Wire

DEFAULT_BOARD = "board"


class ThreadPriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class Reply(Wire):
    id: str
    thread_id: str
    author_id: str | None
    content: str
    created_at: datetime


class Thread(Wire):
    id: str
    title: str
    content: str
    priority: ThreadPriority
    channel: str
    author_id: str | None
    reply_count: int
    created_at: datetime
    updated_at: datetime
    replies: list[Reply] | None = None


class ThreadCreate(Wire):
    title: str = Field(min_length=1, max_length=500)
    content: str = Field(max_length=256 * 1024)
    priority: ThreadPriority = ThreadPriority.normal
    channel: ChannelName = DEFAULT_BOARD


class ReplyCreate(Wire):
    content: str = Field(min_length=1, max_length=256 * 1024)
