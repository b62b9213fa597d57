"""The board: threads with a title, content and priority, in a channel, and their replies."""

from __future__ import annotations

from agenthub._ids import new_id
from agenthub._time import now_iso
from agenthub.errors import NotFound
from agenthub.hub.auth import Actor
from agenthub.models import Reply, ReplyCreate, Thread, ThreadCreate
from agenthub.storage import NewReply, NewThread, Storage


def _not_found(thread_id: str) -> NotFound:
    return NotFound(f"no thread has id {thread_id!r}", code="thread_not_found")


class Threads:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def post(self, actor: Actor, body: ThreadCreate) -> Thread:
        new = NewThread(
            id=new_id(),
            title=body.title,
            content=body.content,
            priority=body.priority,
            channel=body.channel,
            author_id=actor.agent_id,
            created_at=now_iso(),
        )
        return await self._storage.create_thread(new)

    async def reply(self, actor: Actor, thread_id: str, body: ReplyCreate) -> Reply:
        new = NewReply(
            id=new_id(),
            thread_id=thread_id,
            author_id=actor.agent_id,
            content=body.content,
            created_at=now_iso(),
        )
        reply = await self._storage.add_reply(new)
        if reply is None:
            raise _not_found(thread_id)
        return reply

    async def get(self, thread_id: str) -> Thread:
        thread = await self._storage.get_thread(thread_id)
        if thread is None:
            raise _not_found(thread_id)
        return thread

    async def list_threads(self, channel: str | None, limit: int) -> list[Thread]:
        return await self._storage.list_threads(channel, limit)
