"""The storage interface, spoken in the domain's terms.

Every change a backend stores is appended to the audit log in the same
transaction (actor, action, subject, details): acknowledgements, delivery
marks and presence heartbeats that do not change an agent's status are
bookkeeping and are not audited.

The hub's domain talks only to `Storage`; each backend (SQLite now, PostgreSQL
later) implements it, and `tests/storage/test_contract.py` holds every backend
to the same behaviour. A feature adds its own protocol here and its own module
in each backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agenthub.models import Agent, AgentStatus, Channel, Message, Subscription


@dataclass(slots=True)
class NewAgent:
    id: str
    name: str
    type: str
    capabilities: list[str]
    metadata: dict[str, Any]
    parent_id: str | None
    token_hash: str
    created_at: str


@dataclass(slots=True)
class NewMessage:
    id: str
    sender_id: str | None
    content: str
    created_at: str
    channel: str | None = None
    recipients: list[str] = field(default_factory=list)
    task_id: str | None = None
    thread_id: str | None = None
    title: str | None = None
    message_type: str = "text"
    metadata: dict[str, Any] = field(default_factory=dict)
    msg_id: str | None = None
    dedup_key: str | None = None  # who the msg_id belongs to (the sender id, or the operator)


@dataclass(slots=True)
class MessageQuery:
    channel: str | None = None
    sender_id: str | None = None
    task_id: str | None = None
    thread_id: str | None = None
    since: int | None = None
    before: int | None = None
    since_time: str | None = None  # ISO 8601 UTC as `agenthub._time.to_iso` writes it: created strictly after
    limit: int = 50


OnCommit = Callable[[list[Message]], None]


class AgentStore(Protocol):
    async def register_agent(self, new: NewAgent) -> tuple[Agent, bool]:
        """Create the agent, or reuse the one with that name; add the token. True if created."""

    async def agent_id_for_token(self, token_hash: str) -> str | None: ...

    async def get_agent(self, agent_id: str) -> Agent | None: ...

    async def list_agents(self) -> list[Agent]: ...

    async def update_agent(self, agent_id: str, changes: dict[str, Any], actor_id: str | None) -> Agent | None: ...

    async def set_presence(self, changes: dict[str, tuple[AgentStatus, str]]) -> None:
        """Record status and last_seen for several agents in one write."""

    async def delete_agent(self, agent_id: str, actor_id: str | None) -> bool: ...

    async def get_cursor(self, agent_id: str) -> int: ...

    async def advance_cursor(self, agent_id: str, seq: int) -> int:
        """Move the agent's acknowledged seq forward (never back); returns the stored value."""

    async def subscribe(
        self, agent_id: str, pattern: str, on_commit: Callable[[Subscription], None] | None = None
    ) -> Subscription:
        """Subscribe from now on: messages after the current last seq. Resubscribing keeps the original.
        `on_commit` runs in commit order, so live delivery starts exactly where replay would."""

    async def unsubscribe(self, agent_id: str, pattern: str) -> bool: ...

    async def list_subscriptions(self, agent_id: str | None = None) -> list[Subscription]: ...


class MessageStore(Protocol):
    async def append_messages(
        self, new: Sequence[NewMessage], dedup_after: str, on_commit: OnCommit | None = None
    ) -> list[Message]:
        """Store messages in one durable commit, in order. A message whose (dedup_key, msg_id)
        was stored after `dedup_after` is not stored again: its original comes back with
        `duplicate=True`. `on_commit` gets the newly stored ones in seq order before the caller resumes."""

    async def get_message(self, message_id: str) -> Message | None:
        """The message, with receipts when it was direct."""

    async def query_messages(self, query: MessageQuery, viewer_id: str | None = None) -> list[Message]:
        """Newest-last. With `since` or `since_time` the oldest after it come first; otherwise the newest are kept.
        With a `viewer_id`, direct messages that viewer neither sent nor received are left out."""

    async def messages_for_agent(
        self, agent_id: str, subscriptions: Sequence[Subscription], since: int, limit: int
    ) -> list[Message]:
        """What the agent is entitled to after `since`, oldest first: direct to it, or in a channel it
        subscribed to (after it subscribed), not sent by itself."""

    async def delete_message(self, message_id: str, actor_id: str | None) -> bool: ...

    async def mark_delivered(self, deliveries: Sequence[tuple[str, int]], at: str) -> None:
        """Record (agent_id, seq) direct deliveries; the first delivery time is kept."""

    async def mark_read(self, agent_id: str, message_id: str, at: str) -> bool:
        """Record that a recipient read a direct message; False when it is not a recipient or had read it."""

    async def search_messages(self, text: str, limit: int, viewer_id: str | None = None) -> list[Message]:
        """Full-text search over titles and content, newest-last, visible to `viewer_id` as in `query_messages`."""

    async def list_channels(self) -> list[Channel]: ...

    async def counts(self) -> dict[str, int]:
        """Totals for the status page: agents, channels, messages, last_seq."""

    async def prune_dedup(self, before: str) -> int: ...


class Storage(AgentStore, MessageStore, Protocol):
    url: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...
