"""Live delivery: who receives a committed message now, and each live connection's ordered, bounded outbox.

The durable stream is the messages table; this module only decides which open
connections get a copy right away. A `Session` starts by buffering live traffic
while it replays history from the database, then switches to live without a gap
or a duplicate at the seam (it drops anything at or below the last seq it sent).
Each frame is encoded once and shared by every recipient.

Presence events go to every live connection, so N agents connecting at once make N x N frames. Sent as
they come, each is a wake of every connection's sender and a socket write per connection: a thousand
agents took half a minute of the hub's CPU to connect. They are queued in order like any frame, but their
connections are woken at most once per `BROADCAST_DELAY`, so a burst leaves in one write per connection;
anything else queued behind them (a message, an ack) takes them along at once.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Callable, Iterable

import orjson

from agenthub.models import Message, Subscription

_STREAM_EXCLUDE = {"duplicate", "receipts"}
BROADCAST_DELAY = 0.1
"""Seconds a presence event may wait for others to leave with it (`Router.broadcast`)."""
STREAM_EVENT = "agenthub:event"
"""Metadata key of a stream entry the hub itself stores for another feature (e.g. `task:assigned`): such an
entry is sent as that event, with `metadata["data"]` as its data. Publishers cannot set this key."""


def message_frame(message: Message) -> str:
    """The `message:received` frame of a message (or the event a hub stream entry stands for), encoded once."""
    event = message.metadata.get(STREAM_EVENT) if message.sender_id is None else None
    if isinstance(event, str):
        return '{"type":%s,"seq":%d,"data":%s}' % (  # noqa: UP031 - fastest way to splice JSON
            orjson.dumps(event).decode(),
            message.seq,
            orjson.dumps(message.metadata.get("data"), option=orjson.OPT_UTC_Z).decode(),
        )
    return '{"type":"message:received","seq":%d,"data":%s}' % (  # noqa: UP031 - fastest way to splice JSON
        message.seq,
        message.model_dump_json(exclude=_STREAM_EXCLUDE),
    )


def event_frame(event: str, data: object) -> str:
    return orjson.dumps({"type": event, "data": data}, option=orjson.OPT_UTC_Z).decode()


class SlowConsumer(Exception):
    """The connection's send buffer is full."""


class Session:
    """One live connection's outbox: stream frames in seq order, plus events that are not part of the stream."""

    def __init__(self, agent_id: str | None, limit: int) -> None:
        self.agent_id = agent_id
        self.limit = limit
        self.last_seq = 0
        self.replaying = True
        self.overflowed = False
        self._pending: list[tuple[int, str, bool]] = []
        self._outbox: deque[tuple[str, int, bool]] = deque()  # (frame, stream seq or 0 for events, direct)
        self.ready = asyncio.Event()
        self._drained = asyncio.Event()

    def __len__(self) -> int:
        return len(self._outbox)

    def push(self, seq: int, frame: str, direct: bool) -> None:
        """A committed stream entry for this connection."""
        if self.replaying:
            self._pending.append((seq, frame, direct))
            self._check(len(self._pending))
            return
        if seq > self.last_seq:
            self.last_seq = seq
            self._outbox.append((frame, seq, direct))
            self._check(len(self._outbox))
            self.ready.set()

    def push_event(self, frame: str, *, wake: bool = True) -> None:
        """A frame outside the stream (an ack, an event); with `wake=False` it waits for the next wake."""
        self._outbox.append((frame, 0, False))
        self._check(len(self._outbox))
        if wake:
            self.ready.set()

    def push_replayed(self, message: Message, direct: bool) -> None:
        if message.seq > self.last_seq:
            self.last_seq = message.seq
            self._outbox.append((message_frame(message), message.seq, direct))
            self.ready.set()

    def go_live(self) -> None:
        """Replay is done: queue what arrived meanwhile, past the last replayed seq."""
        self.replaying = False
        pending, self._pending = self._pending, []
        for seq, frame, direct in pending:
            self.push(seq, frame, direct)

    def take(self) -> list[tuple[str, int, bool]]:
        """Everything queued so far, in order."""
        items = list(self._outbox)
        self._outbox.clear()
        self.ready.clear()
        self._drained.set()
        return items

    async def drained_below(self, size: int) -> None:
        while len(self._outbox) > size and not self.overflowed:
            self._drained.clear()
            await self._drained.wait()

    def _check(self, size: int) -> None:
        if size > self.limit and not self.overflowed:
            self.overflowed = True
            self.ready.set()


class Router:
    """Maps a committed message to the live sessions entitled to it."""

    def __init__(self) -> None:
        self.last_seq = 0
        """The highest seq on the durable stream: set at start, then kept by `deliver`."""
        self._sessions: dict[str, set[Session]] = defaultdict(set)
        self._operators: set[Session] = set()
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._scopes: dict[str, set[str]] = defaultdict(set)  # "acme/" -> agents subscribed to "acme/*"
        self._everything: set[str] = set()
        self._subscriptions: dict[str, dict[str, Subscription]] = defaultdict(dict)
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._wake_scheduled = False

    # -- subscriptions -------------------------------------------------------------------------------------

    def load(self, subscriptions: Iterable[Subscription]) -> None:
        for sub in subscriptions:
            self.add_subscription(sub)

    def add_subscription(self, sub: Subscription) -> None:
        self._subscriptions[sub.agent_id][sub.pattern] = sub
        self._index_for(sub.pattern).add(sub.agent_id)

    def remove_subscription(self, agent_id: str, pattern: str) -> None:
        self._subscriptions[agent_id].pop(pattern, None)
        self._index_for(pattern).discard(agent_id)

    def forget_agent(self, agent_id: str) -> None:
        for pattern in list(self._subscriptions.pop(agent_id, {})):
            self._index_for(pattern).discard(agent_id)

    def subscriptions_of(self, agent_id: str) -> list[Subscription]:
        return list(self._subscriptions.get(agent_id, {}).values())

    def _index_for(self, pattern: str) -> set[str]:
        if pattern == "*":
            return self._everything
        if pattern.endswith("/*"):
            return self._scopes[pattern[:-1]]
        return self._exact[pattern]

    # -- sessions ------------------------------------------------------------------------------------------

    def attach(self, session: Session) -> None:
        if session.agent_id is None:
            self._operators.add(session)
        else:
            self._sessions[session.agent_id].add(session)

    def detach(self, session: Session) -> None:
        if session.agent_id is None:
            self._operators.discard(session)
            return
        sessions = self._sessions.get(session.agent_id)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._sessions[session.agent_id]

    def all_sessions(self) -> Iterable[Session]:
        yield from self._operators
        for sessions in self._sessions.values():
            yield from sessions

    def broadcast(self, frame: str) -> None:
        """A non-stream event for every live connection (presence), queued now, sent within `BROADCAST_DELAY`."""
        for session in self.all_sessions():
            session.push_event(frame, wake=False)
        if not self._wake_scheduled:
            self._wake_scheduled = True
            asyncio.get_running_loop().call_later(BROADCAST_DELAY, self._wake_all)

    def _wake_all(self) -> None:
        self._wake_scheduled = False
        for session in self.all_sessions():
            if len(session):
                session.ready.set()

    def notify(self, agent_ids: Iterable[str | None], frame: Callable[[], str]) -> None:
        """A non-stream event for these agents' live connections and the operator's; the frame is only
        made when somebody is listening."""
        sessions = [s for agent_id in set(agent_ids) if agent_id is not None for s in self._sessions.get(agent_id, ())]
        sessions += self._operators
        if sessions:
            encoded = frame()
            for session in sessions:
                session.push_event(encoded)

    def waiter(self, agent_id: str) -> asyncio.Event:
        """An event set the next time something is delivered to the agent (for long polls)."""
        event = asyncio.Event()
        self._waiters[agent_id].add(event)
        return event

    def drop_waiter(self, agent_id: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(agent_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[agent_id]

    # -- delivery ------------------------------------------------------------------------------------------

    def targets(self, message: Message) -> set[str]:
        targets: set[str] = set(message.recipients)
        channel = message.channel
        if channel is not None:
            targets |= self._everything
            targets |= self._exact.get(channel, set())
            if self._scopes:
                cut = channel.find("/")
                while cut != -1:
                    targets |= self._scopes.get(channel[: cut + 1], set())
                    cut = channel.find("/", cut + 1)
        if message.sender_id is not None:
            targets.discard(message.sender_id)
        return targets

    def deliver(self, messages: list[Message]) -> None:
        """Called in commit order with newly stored messages (every stream entry passes here)."""
        if messages:
            self.last_seq = max(self.last_seq, messages[-1].seq)
        for message in messages:
            frame = ""  # encoded when the first live session wants it
            recipients = message.recipients
            for agent_id in self.targets(message):
                direct = agent_id in recipients
                for session in self._sessions.get(agent_id, ()):
                    frame = frame or message_frame(message)
                    session.push(message.seq, frame, direct)
                for event in self._waiters.get(agent_id, ()):
                    event.set()
            for session in self._operators:
                frame = frame or message_frame(message)
                session.push(message.seq, frame, False)
