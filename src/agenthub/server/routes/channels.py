"""Channel routes: list, subscribe, unsubscribe. Channel names may contain `/` and are taken whole."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from agenthub.errors import InvalidField
from agenthub.models import Channel, SubscribeRequest, Subscription
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.server.ws import Connection, handles

router = APIRouter(prefix="/api", tags=["channels"])


class Unsubscribed(BaseModel):
    pattern: str
    removed: bool


@router.get("/channels")
async def list_channels(_: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[Channel]:
    """By name."""
    return (await hub.messages.channels())[:limit]


@router.get("/subscriptions")
async def my_subscriptions(actor: CurrentActor, hub: HubDep) -> list[Subscription]:
    return [] if actor.agent_id is None else hub.messages.subscriptions(actor.agent_id)


@router.post("/channels/{channel:path}/subscribe")
async def subscribe(
    channel: str, actor: CurrentActor, hub: HubDep, body: SubscribeRequest | None = None
) -> Subscription:
    """Receive the channel's messages from now on (`acme/*` or `scope: true` covers a whole scope)."""
    pattern = f"{channel}/*" if body is not None and body.scope and not channel.endswith("*") else channel
    return await hub.messages.subscribe(actor, pattern)


@router.post("/channels/{channel:path}/unsubscribe")
async def unsubscribe(
    channel: str, actor: CurrentActor, hub: HubDep, body: SubscribeRequest | None = None
) -> Unsubscribed:
    pattern = f"{channel}/*" if body is not None and body.scope and not channel.endswith("*") else channel
    return Unsubscribed(pattern=pattern, removed=await hub.messages.unsubscribe(actor, pattern))


def _pattern(data: dict[str, Any]) -> str:
    pattern = data.get("channel")
    if not isinstance(pattern, str):
        raise InvalidField("channel must be a string", code="invalid_channel")
    return f"{pattern}/*" if data.get("scope") is True and not pattern.endswith("*") else pattern


@handles("channel:subscribe")
async def ws_subscribe(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    subscription = await conn.hub.messages.subscribe(conn.actor, _pattern(data))
    return subscription.model_dump(mode="json")


@handles("channel:unsubscribe")
async def ws_unsubscribe(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    pattern = _pattern(data)
    return {"pattern": pattern, "removed": await conn.hub.messages.unsubscribe(conn.actor, pattern)}
