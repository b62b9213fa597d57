"""Messages: publish with durable acknowledgement, history, the inbox, receipts, channels, search."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from agenthub._ids import new_ordered_id
from agenthub._time import now_iso, to_iso, utcnow
from agenthub.errors import BadRequest, Forbidden, InvalidField, NotFound, TooLarge
from agenthub.hub.agents import Agents
from agenthub.hub.auth import OPERATOR, Actor
from agenthub.hub.delivery import STREAM_EVENT, Router, Session
from agenthub.hub.limits import check_json_size
from agenthub.models import Channel, Message, MessageCreate, Subscription, check_subscription
from agenthub.settings import HubSettings
from agenthub.storage import MessageQuery, NewMessage, Storage

REPLAY_PAGE = 500
T = TypeVar("T")


@dataclass(slots=True)
class _Publish(Generic[T]):
    prepared: list[NewMessage]
    future: asyncio.Future[T]
    shape: Callable[[list[Message]], T]


class Messages:
    def __init__(self, storage: Storage, agents: Agents, router: Router, settings: HubSettings) -> None:
        self._storage = storage
        self._agents = agents
        self._router = router
        self._settings = settings
        self._queued: list[_Publish[Any]] = []
        self._delivered: list[tuple[str, int]] = []
        self._flush_scheduled = False
        self.published = 0

    # -- publishing ------------------------------------------------------------------------------------

    def prepare(self, actor: Actor, item: MessageCreate) -> NewMessage:
        """Validate one publish and resolve its recipients, without touching storage."""
        if len(item.content) * 4 > self._settings.max_content_bytes and (
            len(item.content.encode()) > self._settings.max_content_bytes
        ):
            raise TooLarge(
                f"message content is over {self._settings.max_content_bytes} bytes", code="content_too_large"
            )
        check_json_size(item.metadata, self._settings.max_metadata_bytes, "metadata")
        if STREAM_EVENT in item.metadata:
            raise InvalidField(f"the metadata key {STREAM_EVENT!r} is reserved for the hub", code="reserved_metadata")
        if item.channel is None and not item.recipients:
            raise InvalidField("a message needs a channel, recipients, or both", code="missing_target")
        recipients = list(dict.fromkeys(self._agents.resolve(r).id for r in item.recipients))
        return NewMessage(
            id=new_ordered_id(),
            sender_id=actor.agent_id,
            content=item.content,
            created_at=now_iso(),
            channel=item.channel,
            recipients=recipients,
            task_id=item.task_id,
            thread_id=item.thread_id,
            title=item.title,
            message_type=item.message_type.value,
            metadata=item.metadata,
            msg_id=item.msg_id,
            dedup_key=actor.agent_id or OPERATOR,
        )

    def submit(self, prepared: list[NewMessage], shape: Callable[[list[Message]], T]) -> asyncio.Future[T]:
        """Queue prepared messages for the next commit; the future answers `shape(stored messages)` once they
        are durable. Everything submitted in one turn of the event loop, from any connection, is stored as one
        write (one statement, one audit entry per sender), in submission order."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append(_Publish(prepared, future, shape))
        if len(self._queued) == 1:
            asyncio.get_running_loop().call_soon(self._store_queued)
        return future

    async def publish(self, actor: Actor, items: Sequence[MessageCreate]) -> list[Message]:
        return await self.submit([self.prepare(actor, item) for item in items], list)

    def _store_queued(self) -> None:
        queued, self._queued = self._queued, []
        self._store(queued)

    def _store(self, queued: list[_Publish[Any]]) -> None:
        dedup_after = to_iso(utcnow() - timedelta(seconds=self._settings.dedup_window_seconds))
        prepared = [m for publish in queued for m in publish.prepared]
        write = asyncio.ensure_future(self._storage.append_messages(prepared, dedup_after, self._on_commit))
        write.add_done_callback(lambda done: self._answer(queued, done))

    def _answer(self, queued: list[_Publish[Any]], write: asyncio.Future[list[Message]]) -> None:
        if write.cancelled():  # the hub is stopping
            for publish in queued:
                publish.future.cancel()
            return
        error = write.exception()
        if error is not None and len(queued) > 1:
            for publish in queued:  # store each publish on its own, so only the one at fault fails
                self._store([publish])
            return
        stored = write.result() if error is None else []
        start = 0
        for publish in queued:
            part = stored[start : start + len(publish.prepared)]
            start += len(publish.prepared)
            if publish.future.done():  # the caller gave up
                continue
            if error is not None:
                publish.future.set_exception(error)
                continue
            try:
                publish.future.set_result(publish.shape(part))
            except Exception as exc:  # a shape that fails answers its own caller only
                publish.future.set_exception(exc)

    def _on_commit(self, messages: list[Message]) -> None:
        self.published += len(messages)
        self._router.deliver(messages)

    # -- reading ---------------------------------------------------------------------------------------

    async def history(self, actor: Actor, query: MessageQuery) -> list[Message]:
        return await self._storage.query_messages(query, viewer_id=actor.agent_id)

    async def get(self, actor: Actor, message_id: str) -> Message:
        message = await self._storage.get_message(message_id)
        if message is None or not self._may_see(actor, message):
            raise NotFound(f"no message has id {message_id!r}", code="message_not_found")
        return message

    @staticmethod
    def _may_see(actor: Actor, message: Message) -> bool:
        return (
            actor.is_operator
            or message.channel is not None
            or message.sender_id == actor.agent_id
            or actor.agent_id in message.recipients
        )

    async def delete(self, actor: Actor, message_id: str) -> None:
        message = await self.get(actor, message_id)
        if not actor.is_operator and message.sender_id != actor.agent_id:
            raise Forbidden("only the sender or the operator can delete a message", code="not_sender")
        await self._storage.delete_message(message_id, actor.agent_id)

    async def search(self, actor: Actor, text: str, limit: int) -> list[Message]:
        if not text.strip():
            raise InvalidField("give some words to search for in q", code="empty_query")
        return await self._storage.search_messages(text, limit, viewer_id=actor.agent_id)

    # -- the inbox, cursors and receipts -----------------------------------------------------------------

    def _agent_only(self, actor: Actor) -> str:
        if actor.agent_id is None:
            raise BadRequest("the operator has no inbox: use an agent token", code="agent_only")
        return actor.agent_id

    async def pending_for(self, agent_id: str, since: int, limit: int) -> list[Message]:
        return await self._storage.messages_for_agent(agent_id, self._router.subscriptions_of(agent_id), since, limit)

    async def inbox(self, actor: Actor, limit: int, wait: float = 0.0) -> list[Message]:
        """Messages for the agent above its acknowledged cursor; with `wait`, block until one arrives."""
        agent_id = self._agent_only(actor)
        event = self._router.waiter(agent_id) if wait > 0 else None
        try:
            cursor = await self._storage.get_cursor(agent_id)
            messages = await self.pending_for(agent_id, cursor, limit)
            if not messages and event is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=wait)
                messages = await self.pending_for(agent_id, cursor, limit)
        finally:
            if event is not None:
                self._router.drop_waiter(agent_id, event)
        self.delivered(agent_id, [m.seq for m in messages if agent_id in m.recipients])
        return messages

    async def ack(self, actor: Actor, seq: int) -> int:
        agent_id = self._agent_only(actor)
        if seq < 0:
            raise InvalidField("seq must be zero or more", code="invalid_seq")
        # Never past the last message: a cursor in the future would silently swallow what comes next.
        return await self._storage.advance_cursor(agent_id, min(seq, self._router.last_seq))

    async def mark_read(self, actor: Actor, message_id: str) -> Message:
        agent_id = self._agent_only(actor)
        message = await self.get(actor, message_id)
        if agent_id not in message.recipients:
            raise Forbidden("only a recipient of a direct message can mark it read", code="not_a_recipient")
        await self._storage.mark_read(agent_id, message_id, now_iso())
        return await self.get(actor, message_id)

    def delivered(self, agent_id: str, seqs: Sequence[int]) -> None:
        """Note direct deliveries; they are written in one batch on the next turn of the loop."""
        if not seqs:
            return
        self._delivered.extend((agent_id, seq) for seq in seqs)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._start_flush)

    def _start_flush(self) -> None:
        self._flush_scheduled = False
        batch, self._delivered = self._delivered, []
        task = asyncio.ensure_future(self._storage.mark_delivered(batch, now_iso()))
        task.add_done_callback(_ignore_closed)

    # -- live sessions -----------------------------------------------------------------------------------

    async def open_session(self, actor: Actor, since: int | None, session: Session | None = None) -> Session:
        """Attach a live session and replay what it missed; it is live, with no gap, when this returns."""
        if session is None:
            session = Session(actor.agent_id, self._settings.send_buffer_frames)
        self._router.attach(session)
        try:
            if actor.agent_id is None:
                position = since if since is not None else self._router.last_seq
            else:
                position = since if since is not None else await self._storage.get_cursor(actor.agent_id)
            position = min(
                position, self._router.last_seq
            )  # a `since` past the last message would drop what comes next
            session.last_seq = position
            await self._replay(session, actor.agent_id, position)
        except BaseException:
            self._router.detach(session)
            raise
        session.go_live()
        return session

    async def _replay(self, session: Session, agent_id: str | None, position: int) -> None:
        """Replay in pages no larger than half the send buffer, waiting for the sender to drain in between,
        so a replay never overflows the session it feeds."""
        page_size = max(1, min(REPLAY_PAGE, session.limit // 2))
        while True:
            await session.drained_below(session.limit - page_size)
            if agent_id is None:
                page = await self._storage.query_messages(MessageQuery(since=position, limit=page_size))
            else:
                page = await self.pending_for(agent_id, position, page_size)
            for message in page:
                session.push_replayed(message, agent_id is not None and agent_id in message.recipients)
            if len(page) < page_size:
                return
            position = page[-1].seq

    def close_session(self, session: Session) -> None:
        self._router.detach(session)

    # -- channels ----------------------------------------------------------------------------------------

    async def channels(self) -> list[Channel]:
        return await self._storage.list_channels()

    async def subscribe(self, actor: Actor, pattern: str) -> Subscription:
        [subscription] = await self.subscribe_all(actor, [pattern])
        return subscription

    async def subscribe_all(self, actor: Actor, patterns: Sequence[str]) -> list[Subscription]:
        """Every pattern is checked before any is stored: a refused list subscribes to nothing."""
        if not patterns:
            return []
        agent_id = self._agent_only(actor)
        for pattern in patterns:
            try:
                check_subscription(pattern)
            except ValueError as exc:
                raise InvalidField(str(exc), code="invalid_channel") from None
        return [await self._storage.subscribe(agent_id, p, self._router.add_subscription) for p in patterns]

    async def unsubscribe(self, actor: Actor, pattern: str) -> bool:
        agent_id = self._agent_only(actor)
        self._router.remove_subscription(agent_id, pattern)
        return await self._storage.unsubscribe(agent_id, pattern)

    def subscriptions(self, agent_id: str) -> list[Subscription]:
        return self._router.subscriptions_of(agent_id)

    async def prune(self) -> int:
        before = to_iso(utcnow() - timedelta(seconds=self._settings.dedup_window_seconds))
        return await self._storage.prune_dedup(before)


def _ignore_closed(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # receipts are best effort once the hub is stopping; retrieve so nothing is logged
