"""Agents on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from agenthub.models.common import JsonObject, Name, Text, Wire


class AgentStatus(StrEnum):
    online = "online"
    offline = "offline"
    busy = "busy"
    error = "error"


class Agent(Wire):
    id: str
    name: str
    type: str
    status: AgentStatus
    capabilities: list[str]
    metadata: dict[str, Any]
    parent_id: str | None
    created_at: datetime
    last_seen: datetime | None


class RegisterRequest(Wire):
    name: Name
    type: Text = Field(default="script", max_length=64)
    capabilities: list[Annotated[Text, Field(max_length=128)]] = Field(default_factory=list, max_length=256)
    metadata: JsonObject = Field(default_factory=dict)
    parent_id: str | None = None


class RegisterResponse(Wire):
    agent: Agent
    token: str


class AgentUpdate(Wire):
    type: Text | None = Field(default=None, max_length=64)
    capabilities: list[Annotated[Text, Field(max_length=128)]] | None = Field(default=None, max_length=256)
    metadata: JsonObject | None = None


class StatusUpdate(Wire):
    status: AgentStatus
