"""Message routes: publish, history, the inbox, receipts, search."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from agenthub.errors import InvalidField
from agenthub.models import Message, MessageBatch, MessageCreate
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.server.waits import unless_abandoned
from agenthub.server.ws import Connection, handles, submits
from agenthub.storage import MessageQuery

router = APIRouter(prefix="/api", tags=["messages"])
MAX_SEQ = 2**63 - 1
Seq = Annotated[int | None, Query(ge=0, le=MAX_SEQ)]


class BatchResult(BaseModel):
    messages: list[Message]


class AckRequest(BaseModel):
    seq: int = Field(ge=0, le=MAX_SEQ)


class Cursor(BaseModel):
    cursor: int


@router.post(
    "/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=Message,
    responses={200: {"model": Message, "description": "a repeated `msg_id`: the original, `duplicate: true`"}},
)
async def publish(body: MessageCreate, actor: CurrentActor, hub: HubDep) -> Response:
    """Publish to a channel, to recipients, or both. Answered once the message is durable.
    A repeated `msg_id` answers 200 with the original and `duplicate: true`."""
    [message] = await hub.messages.publish(actor, [body])
    return Response(  # serialized here: FastAPI's response validation would cost as much as the publish
        message.model_dump_json(),
        status_code=status.HTTP_200_OK if message.duplicate else status.HTTP_201_CREATED,
        media_type="application/json",
    )


@router.post("/messages/batch", status_code=status.HTTP_201_CREATED)
async def publish_batch(body: MessageBatch, actor: CurrentActor, hub: HubDep) -> BatchResult:
    """Publish up to 1,000 messages in one commit, answered in order."""
    return BatchResult(messages=await hub.messages.publish(actor, body.messages))


@router.get("/messages")
async def history(
    actor: CurrentActor,
    hub: HubDep,
    channel: str | None = None,
    sender_id: str | None = None,
    thread_id: str | None = None,
    since: Seq = None,
    before: Seq = None,
    limit: Limit = 50,
) -> list[Message]:
    """Newest-last. With `since`, the first `limit` after it; otherwise the last `limit`."""
    query = MessageQuery(
        channel=channel, sender_id=sender_id, thread_id=thread_id, since=since, before=before, limit=limit
    )
    return await hub.messages.history(actor, query)


@router.get("/messages/recent")
async def recent(actor: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[Message]:
    return await hub.messages.history(actor, MessageQuery(limit=limit))


@router.get("/messages/task/{task_id}")
async def task_messages(task_id: str, actor: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[Message]:
    return await hub.messages.history(actor, MessageQuery(task_id=task_id, limit=limit))


@router.get("/messages/{message_id}")
async def get_message(message_id: str, actor: CurrentActor, hub: HubDep) -> Message:
    return await hub.messages.get(actor, message_id)


@router.delete("/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_message(message_id: str, actor: CurrentActor, hub: HubDep) -> Response:
    await hub.messages.delete(actor, message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/messages/{message_id}/read")
async def mark_read(message_id: str, actor: CurrentActor, hub: HubDep) -> Message:
    """Mark a direct message read (recipients only); its receipts show it."""
    return await hub.messages.mark_read(actor, message_id)


@router.get("/inbox")
async def inbox(
    request: Request,
    actor: CurrentActor,
    hub: HubDep,
    limit: Limit = 50,
    wait: Annotated[float, Query(ge=0, le=300, description="seconds to wait for a first message")] = 0,
) -> list[Message]:
    """Messages for me above my acknowledged cursor, oldest first. Acknowledge with `POST /api/inbox/ack`.
    A wait whose client goes away ends without noting anything delivered."""
    return await unless_abandoned(request, hub.messages.inbox(actor, limit, wait), wait)


@router.post("/inbox/ack")
async def ack(body: AckRequest, actor: CurrentActor, hub: HubDep) -> Cursor:
    """Move my cursor to `seq` (never back): what is at or below it is no longer pending."""
    return Cursor(cursor=await hub.messages.ack(actor, body.seq))


@router.get("/search")
async def search(
    actor: CurrentActor, hub: HubDep, q: Annotated[str, Query(max_length=1000)], limit: Limit = 50
) -> list[Message]:
    """Full-text search over message titles and content, newest-last."""
    return await hub.messages.search(actor, q, limit)


@submits("message:send")
def ws_send(conn: Connection, data: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
    """One message, or `{"messages": [...]}` committed together. Acknowledged once durable."""
    batch = "messages" in data
    items = data["messages"] if batch else [data]
    if not isinstance(items, list) or not items or len(items) > 1000:
        raise InvalidField("messages must be a list of 1 to 1,000 messages", code="invalid_batch")
    prepared = [conn.hub.messages.prepare(conn.actor, MessageCreate.model_validate(item)) for item in items]
    return conn.hub.messages.submit(prepared, _batch_ack if batch else _single_ack)


def _ack_of(message: Message) -> dict[str, Any]:
    return {"id": message.id, "seq": message.seq, "duplicate": message.duplicate}


def _single_ack(stored: list[Message]) -> dict[str, Any]:
    [message] = stored
    return _ack_of(message)


def _batch_ack(stored: list[Message]) -> dict[str, Any]:
    return {"messages": [_ack_of(m) for m in stored]}


@handles("message:ack")
async def ws_ack(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise InvalidField("seq must be an integer", code="invalid_seq")
    return {"cursor": await conn.hub.messages.ack(conn.actor, seq)}


@handles("message:read")
async def ws_read(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    message_id = data.get("message_id")
    if not isinstance(message_id, str):
        raise InvalidField("message_id must be a string", code="invalid_field")
    message = await conn.hub.messages.mark_read(conn.actor, message_id)
    return {"message": message.model_dump(mode="json")}
