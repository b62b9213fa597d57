"""The plain HTTP broker of seed 002, at the root, so its chat scripts work against agenthub.

Its scripts send no token: run `agenthub serve --open` for them, or add `Authorization: Bearer <token>`.
With the hub token (or `--open`), `sender` names the agent to post as, registered if new; with an agent
token the sender is that agent, whatever the body says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from agenthub._time import to_iso
from agenthub.errors import InvalidField, NotFound
from agenthub.hub import Actor
from agenthub.models import Message, MessageCreate, RegisterRequest, Text, check_channel
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.storage import MessageQuery

router = APIRouter(tags=["seed-002 broker"])


class LegacyPost(BaseModel):
    sender: str = Field(default="anonymous", min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]*$")
    message: Text


def _channel(name: str) -> str:
    try:
        return check_channel(name)
    except ValueError as exc:
        raise InvalidField(str(exc), code="invalid_channel") from None


def _legacy(message: Message, hub_names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": message.id,
        "seq": message.seq,
        "channel": message.channel,
        "sender": hub_names.get(message.sender_id or "", "operator"),
        "message": message.content,
        "timestamp": message.created_at,
    }


@router.get("/status")
async def broker_status(_: CurrentActor, hub: HubDep) -> dict[str, Any]:
    current = await hub.status()
    return {**current.model_dump(), "status": "running", "total_messages": current.messages}


@router.get("/channels")
async def broker_channels(_: CurrentActor, hub: HubDep) -> dict[str, Any]:
    channels = await hub.messages.channels()
    return {
        "channels": [c.name for c in channels],
        "details": [{"name": c.name, "message_count": c.message_count, "last_seq": c.last_seq} for c in channels],
    }


@router.get("/agents")
async def broker_agents(_: CurrentActor, hub: HubDep) -> dict[str, Any]:
    agents = hub.agents.all()
    return {
        "agents": [a.name for a in agents],
        "details": [{"name": a.name, "id": a.id, "status": a.status, "last_seen": a.last_seen} for a in agents],
    }


@router.get("/messages/{channel:path}")
async def broker_read(
    channel: str,
    actor: CurrentActor,
    hub: HubDep,
    limit: Limit = 10,
    since: Annotated[str | None, Query(description="a seq, or an ISO 8601 time")] = None,
) -> dict[str, Any]:
    _channel(channel)
    query = MessageQuery(channel=channel, limit=limit)
    if since is not None and since.isdigit():
        query.since = int(since)
    elif since:
        try:
            after_time = datetime.fromisoformat(since.replace("Z", "+00:00"))
            query.since_time = to_iso(after_time if after_time.tzinfo else after_time.astimezone())
        except (ValueError, OverflowError):
            raise InvalidField("since must be a seq or an ISO 8601 time", code="invalid_since") from None
    messages = await hub.messages.history(actor, query)
    names = {a.id: a.name for a in hub.agents.all()}
    return {"channel": channel, "messages": [_legacy(m, names) for m in messages]}


@router.post("/messages/{channel:path}", status_code=status.HTTP_201_CREATED)
async def broker_send(channel: str, body: LegacyPost, actor: CurrentActor, hub: HubDep) -> dict[str, Any]:
    _channel(channel)
    sender = actor
    if actor.is_operator and body.sender != "operator":
        try:
            agent = hub.agents.resolve(body.sender)
        except NotFound:
            agent, _, _ = await hub.agents.register(actor, RegisterRequest(name=body.sender, type="script"))
        sender = Actor(agent_id=agent.id, name=agent.name)
    [message] = await hub.messages.publish(sender, [MessageCreate(channel=channel, content=body.message)])
    return {"status": "sent", "id": message.id, "seq": message.seq, "channel": channel, "sender": sender.name}
