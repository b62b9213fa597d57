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

from agenthub.errors import StorageUnavailable
from agenthub.models import (
    AccessControl,
    Agent,
    AgentStatus,
    Approval,
    ApprovalStatus,
    Assignment,
    AssignmentStatus,
    AuditEntry,
    AuditVerification,
    Channel,
    Lock,
    LockMode,
    Memory,
    MemoryEvent,
    MemoryVersion,
    Message,
    Reply,
    Subscription,
    Task,
    TaskEdge,
    Thread,
    ThreadPriority,
)


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
    given: frozenset[str] = frozenset({"type", "capabilities", "metadata"})  # re-registering changes only these


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


@dataclass(slots=True)
class MemoryWrite:
    key: str
    value: str  # the value as JSON text
    actor_id: str | None
    at: str
    expires_at: str | None
    access_control: AccessControl | None  # None: keep the key's current one (none for a new key)
    new_id: str  # the id the key gets if it does not exist yet


MemoryGuard = Callable[[Memory | None], None]
"""A domain rule run inside a memory write against the key's current value (None: absent); raises to refuse."""


@dataclass(slots=True)
class MemoryNotice:
    """A committed memory change for watchers: the event, and the entry it concerns (for a delete or an
    expiry, its last state) so the domain can tell who may hear of it."""

    event: MemoryEvent
    entry: Memory


OnMemoryCommit = Callable[[list[MemoryNotice]], None]


@dataclass(slots=True)
class NewLock:
    id: str
    resource: str
    mode: LockMode
    holder_id: str | None
    intent: str | None
    ttl_seconds: float
    acquired_at: str
    expires_at: str


LockGuard = Callable[[list[Lock]], None]
"""A domain rule run inside a lock acquisition against every live lock; raises to refuse."""
HeldLockGuard = Callable[[Lock | None], None]
"""A domain rule run inside a renew or release against the live lock (None: gone or lapsed); raises to refuse."""


@dataclass(slots=True)
class NewThread:
    id: str
    title: str
    content: str
    priority: ThreadPriority
    channel: str
    author_id: str | None
    created_at: str


@dataclass(slots=True)
class NewReply:
    id: str
    thread_id: str
    author_id: str | None
    content: str
    created_at: str


@dataclass(slots=True)
class NewApproval:
    id: str
    action: str
    details: dict[str, Any]
    requester_id: str | None
    created_at: str
    expires_at: str


ApprovalGuard = Callable[[Approval | None], None]
"""A domain rule run inside a decision against the stored request (None: unknown); raises to refuse."""


@dataclass(slots=True)
class AuditQuery:
    actor_id: str | None = None
    action: str | None = None
    since: str | None = None  # entries at or after this time
    after: int | None = None  # entries with a larger id (paging)
    limit: int = 50


@dataclass(slots=True)
class NewTask:
    id: str
    creator_id: str | None
    title: str
    description: str
    priority: int
    tags: list[str]
    requirements: dict[str, Any]
    depends_on: list[str]
    max_attempts: int
    due_date: str | None
    idempotency_key: str | None
    created_at: str


@dataclass(slots=True)
class TaskChange:
    """What a domain decision does to one task. The storage runs the decision inside the write that read
    the task, so the check and the change are one atomic step (compare-and-set).

    An empty `action` means nothing changes (an idempotent repeat). Entering `completed` releases the task's
    dependents; entering `failed` or `cancelled` fails them (transitively) with `dependency_failed`."""

    action: str
    set: dict[str, Any] = field(default_factory=dict)  # columns; datetimes as ISO strings
    details: dict[str, Any] = field(default_factory=dict)  # for the audit entry
    close_assignment: AssignmentStatus | None = None  # how the open assignment ends
    accept_assignment: bool = False  # the assignee took the work on
    open_assignment: AssignmentStatus | None = None  # a new assignment row for the (new) assignee
    pick_assignee: list[str] | None = None  # the candidate with the fewest active tasks becomes the assignee
    announce: Callable[[Task], NewMessage] | None = None  # a durable stream entry for the new assignee


Decide = Callable[[Task], TaskChange]


@dataclass(slots=True)
class TaskOutcome:
    task: Task | None  # as it is now, lease token included; None when it was deleted
    changed: list[tuple[Task, str | None]] = field(default_factory=list)  # (task now, its previous assignee)
    messages: list[Message] = field(default_factory=list)  # durable stream entries stored with the change
    created: bool = False
    claimed: Task | None = None  # the task claimed after the change (`change_task(..., then_claim=...)`)


OnTask = Callable[[TaskOutcome], None]


@dataclass(slots=True)
class ClaimQuery:
    """Which task an agent claims: the most urgent, then oldest, ready pending task available at `now` whose
    required capabilities are among `capabilities` and that has one of `tags` (when given); `decide` makes
    it the agent's."""

    agent_id: str
    capabilities: Sequence[str]
    tags: Sequence[str] | None
    now: str
    decide: Decide


@dataclass(slots=True)
class TaskQuery:
    status: str | None = None
    assignee_id: str | None = None
    tag: str | None = None
    overdue_at: str | None = None  # due before this time and not finished, soonest due first
    queue_order: bool = False  # most urgent then oldest first, instead of newest-last
    limit: int = 50


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


class MemoryStore(Protocol):
    async def put_memory(
        self, write: MemoryWrite, guard: MemoryGuard, on_commit: OnMemoryCommit | None = None
    ) -> Memory:
        """Create or update the key in one write after `guard` accepts its current value; the version grows by one.
        `on_commit` gets the events of the write (an expiry it found first, then the set) in commit order."""

    async def delete_memory(
        self, key: str, actor_id: str | None, at: str, guard: MemoryGuard, on_commit: OnMemoryCommit | None = None
    ) -> MemoryEvent | None:
        """Delete the key after `guard` accepts it (a new version of its own); None when it did not exist."""

    async def expire_memory(self, now: str, on_commit: OnMemoryCommit | None = None) -> list[MemoryNotice]:
        """Remove every key whose `expires_at` is at or before `now`."""

    async def memory_due(self, now: str) -> bool:
        """Whether some key's time is up (a cheap read before `expire_memory`)."""

    async def get_memory(self, key: str, now: str) -> Memory | None: ...

    async def get_memory_by_id(self, memory_id: str, now: str) -> Memory | None: ...

    async def list_memory(self, prefix: str, now: str, limit: int) -> list[Memory]:
        """Live keys starting with `prefix`, in key order."""

    async def memory_history(self, key: str, limit: int) -> list[MemoryVersion]:
        """The key's last `limit` versions, oldest first."""

    async def memory_access(self, key: str) -> tuple[str | None, AccessControl | None] | None:
        """(creator, access control) as of the key's newest version, even if deleted; None if it never existed."""


class LockStore(Protocol):
    async def acquire_lock(self, new: NewLock, guard: LockGuard) -> Lock:
        """Store the lock after `guard` accepts the live locks (lapsed ones are removed first)."""

    async def renew_lock(
        self, lock_id: str, expires_at: str, actor_id: str | None, now: str, guard: HeldLockGuard
    ) -> Lock: ...

    async def release_lock(self, lock_id: str, actor_id: str | None, now: str, guard: HeldLockGuard) -> Lock: ...

    async def get_lock(self, lock_id: str, now: str) -> Lock | None: ...

    async def list_locks(self, now: str) -> list[Lock]:
        """Live locks, oldest first."""

    async def expire_locks(self, now: str) -> list[Lock]:
        """Remove every lapsed lock; returns them."""

    async def locks_due(self, now: str) -> bool: ...


class ThreadStore(Protocol):
    async def create_thread(self, new: NewThread) -> Thread: ...

    async def add_reply(self, new: NewReply) -> Reply | None:
        """None when the thread does not exist."""

    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread with its replies, oldest first."""

    async def list_threads(self, channel: str | None, limit: int) -> list[Thread]:
        """Newest-last, without replies."""


class ApprovalStore(Protocol):
    async def create_approval(self, new: NewApproval) -> Approval: ...

    async def decide_approval(
        self,
        approval_id: str,
        status: ApprovalStatus,
        actor_id: str | None,
        reason: str | None,
        at: str,
        guard: ApprovalGuard,
    ) -> Approval:
        """Record the decision after `guard` accepts the stored request."""

    async def get_approval(self, approval_id: str) -> Approval | None: ...

    async def list_approvals(self, status: ApprovalStatus | None, limit: int) -> list[Approval]: ...

    async def expire_approvals(self, now: str) -> list[Approval]:
        """Lapse every pending request whose `expires_at` is at or before `now`; returns them."""

    async def approvals_due(self, now: str) -> bool: ...


class AuditStore(Protocol):
    async def log_decision(self, actor_id: str | None, decision_type: str, context: str, reason: str) -> AuditEntry: ...

    async def query_audit(self, query: AuditQuery) -> list[AuditEntry]:
        """With `after`, the first `limit` entries after it; otherwise the newest `limit`. Oldest first."""

    async def verify_audit(self) -> AuditVerification:
        """Walk the hash chain and name the first entry that was altered or removed."""


class TaskStore(Protocol):
    async def create_task(
        self, new: NewTask, decide: Decide | None, actor_id: str | None, on_commit: OnTask | None = None
    ) -> TaskOutcome:
        """Store a task and its dependencies (unknown ones are refused), then apply `decide` (an assignment).
        A task with an `idempotency_key` its creator already uses on an unfinished task is not stored again:
        that task comes back with `created=False`."""

    async def get_task(self, task_id: str) -> Task | None: ...

    async def list_tasks(self, query: TaskQuery) -> list[Task]: ...

    async def change_task(
        self,
        task_id: str,
        decide: Decide,
        actor_id: str | None,
        on_commit: OnTask | None = None,
        *,
        then_claim: ClaimQuery | None = None,
    ) -> TaskOutcome | None:
        """Read the task, let `decide` judge it (it may raise), apply its change, all in one write.
        None when there is no such task. `on_commit` (every task write takes one) runs in commit order,
        so the stream entries it stored are delivered live in `seq` order. With `then_claim`, the same write
        goes on to claim a task (`TaskOutcome.claimed`): both happen, or neither. When `decide` changes
        nothing (it repeats a change already made) and the agent still holds the task an earlier claim of
        this kind took, that task is `claimed` again instead of another."""

    async def claim_task(self, query: ClaimQuery, on_commit: OnTask | None = None) -> TaskOutcome | None:
        """Atomically pick the task `query` names and apply its `decide` to it; None when there is none."""

    async def delete_task(
        self, task_id: str, check: Decide, actor_id: str | None, on_commit: OnTask | None = None
    ) -> TaskOutcome | None:
        """Delete the task after `check` allowed it; its unfinished dependents fail with `dependency_failed`."""

    async def task_assignments(self, task_id: str) -> list[Assignment]:
        """Oldest first."""

    async def task_graph(self, task_id: str) -> tuple[list[Task], list[TaskEdge]] | None: ...

    async def lapsed_leases(self, now: str, limit: int) -> list[str]:
        """Ids of in-progress tasks whose lease ended before `now`."""

    async def active_tasks(self) -> list[tuple[str, str]]:
        """(task id, assignee id) of every assigned or in-progress task."""


class HungStore(Protocol):
    async def work_held(self, now: str) -> dict[str, tuple[int, int]]:
        """Agent id -> (active tasks assigned to it, live locks it holds), for agents holding any."""


class Storage(
    AgentStore,
    MessageStore,
    MemoryStore,
    LockStore,
    ThreadStore,
    ApprovalStore,
    AuditStore,
    HungStore,
    TaskStore,
    Protocol,
):
    url: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    @property
    def failure(self) -> StorageUnavailable | None:
        """Why nothing can be stored any more (every write is refused with it until the hub restarts), or None."""
        ...
