"""Board thread routes: post, list by channel, read with replies, reply."""

from __future__ import annotations

from fastapi import APIRouter, status

from agenthub.models import ChannelName, Reply, ReplyCreate, Thread, ThreadCreate
from agenthub.server.deps import CurrentActor, HubDep, Limit

router = APIRouter(prefix="/api", tags=["threads"])


@router.post("/threads", status_code=status.HTTP_201_CREATED)
async def post_thread(body: ThreadCreate, actor: CurrentActor, hub: HubDep) -> Thread:
    return await hub.threads.post(actor, body)


@router.get("/threads")
async def list_threads(
    _: CurrentActor, hub: HubDep, channel: ChannelName | None = None, limit: Limit = 50
) -> list[Thread]:
    """Newest-last, without replies."""
    return await hub.threads.list_threads(channel, limit)


@router.get("/threads/{thread_id}")
async def get_thread(thread_id: str, _: CurrentActor, hub: HubDep) -> Thread:
    """The thread with its replies, oldest first."""
    return await hub.threads.get(thread_id)


@router.post("/threads/{thread_id}/replies", status_code=status.HTTP_201_CREATED)
async def reply(thread_id: str, body: ReplyCreate, actor: CurrentActor, hub: HubDep) -> Reply:
    return await hub.threads.reply(actor, thread_id, body)
