"""Channel routes: list, subscribe, unsubscribe. Channel names may contain `/` and are taken whole."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from agenthub.models import Channel, SubscribeRequest, Subscription
from agenthub.server.deps import CurrentActor, HubDep

router = APIRouter(prefix="/api", tags=["channels"])


class Unsubscribed(BaseModel):
    pattern: str
    removed: bool


@router.get("/channels")
async def list_channels(_: CurrentActor, hub: HubDep) -> list[Channel]:
    return await hub.messages.channels()


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
