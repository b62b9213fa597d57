"""Shared memory: versioned keys with compare-and-set, expiry, access control, and watches by key prefix.

Every write runs its rules (access, `if_version`) inside the storage write, against the value it replaces,
so concurrent writers cannot both win a compare-and-set. Watch events go out from the write's commit
callback, which runs in commit order: a watcher sees a key's versions in increasing order.

Compare-and-sets of one key take turns (`_Turns`): one at a time goes to the storage, and the others wait
for it to end. Of those racing on one version only one can win, so waiting costs them nothing, and the
key as that write's commit left it (seen by the commit callback) lets the next ones be judged by the same
rules without a write of their own: the losers of a race are refused at once, on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from agenthub._ids import new_id
from agenthub._time import now_iso, to_iso, utcnow
from agenthub.errors import Conflict, Forbidden, InvalidField, NotFound, TooLarge
from agenthub.hub.auth import Actor
from agenthub.hub.delivery import Session, event_frame
from agenthub.models import AccessControl, Memory, MemoryUpdate, MemoryVersion, WatchStarted, check_key
from agenthub.storage import MemoryNotice, MemoryWrite, Storage

WATCH_SNAPSHOT = 1000


def may(actor: Actor, memory: Memory, access: str) -> bool:
    """Whether the actor may `read` or `write` the key: the operator and the creator always may."""
    return may_access(actor, memory.created_by, memory.access_control, access)


def may_access(actor: Actor, created_by: str | None, acl: AccessControl | None, access: str) -> bool:
    if actor.is_operator or created_by == actor.agent_id or acl is None:
        return True
    allowed: list[str] = getattr(acl, access)
    return "*" in allowed or actor.agent_id in allowed or actor.name in allowed


def _not_found(key: str) -> NotFound:
    return NotFound(f"no memory key {key!r}", code="memory_not_found")


@dataclass(eq=False)
class _Turns:
    """The compare-and-sets of one key waiting for the one in the storage now, and the key as the latest
    commit seen since the turns began left it (`known`, None when that commit deleted it; once `seen`)."""

    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)
    seen: bool = False
    known: Memory | None = None


class SharedMemory:
    def __init__(self, storage: Storage, *, max_value_bytes: int) -> None:
        self._storage = storage
        self._max_value_bytes = max_value_bytes
        self._watches: dict[Session, tuple[Actor, set[str]]] = {}
        self._turns: dict[str, _Turns] = {}  # a key is here while one of its compare-and-sets is under way

    # -- reads -------------------------------------------------------------------------------------------

    def _readable(self, actor: Actor, memory: Memory | None, key: str) -> Memory:
        if memory is None:
            raise _not_found(key)
        if not may(actor, memory, "read"):
            raise Forbidden(f"{actor.name} may not read memory key {memory.key!r}", code="memory_read_denied")
        return memory

    async def get(self, actor: Actor, key: str) -> Memory:
        return self._readable(actor, await self._storage.get_memory(key, now_iso()), key)

    async def get_by_id(self, actor: Actor, memory_id: str) -> Memory:
        return self._readable(actor, await self._storage.get_memory_by_id(memory_id, now_iso()), memory_id)

    async def list_keys(self, actor: Actor, prefix: str, limit: int) -> list[Memory]:
        """Keys starting with `prefix` that the actor may read, in key order."""
        return [m for m in await self._storage.list_memory(prefix, now_iso(), limit) if may(actor, m, "read")]

    async def history(self, actor: Actor, key: str, limit: int) -> list[MemoryVersion]:
        """Readable as the key was at its newest version (so a deleted key's history stays as private)."""
        access = await self._storage.memory_access(key)
        if access is None:
            raise _not_found(key)
        if not may_access(actor, *access, "read"):
            raise Forbidden(f"{actor.name} may not read memory key {key!r}", code="memory_read_denied")
        return await self._storage.memory_history(key, limit)

    # -- writes ------------------------------------------------------------------------------------------

    async def set(self, actor: Actor, key: str, update: MemoryUpdate, memory_id: str | None = None) -> Memory:
        """Create or update `key` (with `memory_id`: only that existing entry)."""
        try:
            check_key(key)
        except ValueError as exc:
            raise InvalidField(str(exc), code="invalid_key") from None
        try:
            value = orjson.dumps(update.value).decode()
        except orjson.JSONEncodeError as exc:  # e.g. an integer beyond 64 bits
            raise InvalidField(f"value cannot be stored as JSON: {exc}", code="invalid_value") from None
        if len(value) > self._max_value_bytes // 4 and len(value.encode()) > self._max_value_bytes:
            raise TooLarge(
                f"a memory value is limited to {self._max_value_bytes} bytes as JSON", code="value_too_large"
            )

        def guard(current: Memory | None) -> None:
            if memory_id is not None and (current is None or current.id != memory_id):
                raise _not_found(memory_id)
            if current is not None and not may(actor, current, "write"):
                raise Forbidden(f"{actor.name} may not write memory key {key!r}", code="memory_write_denied")
            if (
                current is not None
                and update.access_control is not None
                and not (actor.is_operator or current.created_by == actor.agent_id)
            ):
                raise Forbidden(
                    "only the key's creator or the operator may change its access_control", code="acl_owner_only"
                )
            _check_version(actor, key, current, update.if_version)

        if update.if_version is None:
            return await self._put(actor, key, value, update, guard)
        async with self._turn(key) as turns:
            if turns.seen and (turns.known is None or turns.known.expires_at is None):
                guard(turns.known)  # what the storage would refuse against the key as it is, refused here
            return await self._put(actor, key, value, update, guard)

    async def _put(
        self, actor: Actor, key: str, value: str, update: MemoryUpdate, guard: Callable[[Memory | None], None]
    ) -> Memory:
        now = utcnow()
        expires = to_iso(now + timedelta(seconds=update.ttl_seconds)) if update.ttl_seconds is not None else None
        write = MemoryWrite(
            key=key,
            value=value,
            actor_id=actor.agent_id,
            at=to_iso(now),
            expires_at=expires,
            access_control=update.access_control,
            new_id=new_id(),
        )
        return await self._storage.put_memory(write, guard, self._publish)

    @contextlib.asynccontextmanager
    async def _turn(self, key: str) -> AsyncIterator[_Turns]:
        """Wait for the key's turn: until every compare-and-set of it that came earlier has ended."""
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = _Turns()
        else:
            mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            turns.waiting.append(mine)
            try:
                await mine
            except asyncio.CancelledError:
                if mine.done() and not mine.cancelled():  # given the turn, then cancelled: hand it on
                    self._hand_on(key, turns)
                raise
        try:
            yield turns
        finally:
            self._hand_on(key, turns)

    def _hand_on(self, key: str, turns: _Turns) -> None:
        while turns.waiting:
            following = turns.waiting.popleft()
            if not following.done():  # one whose caller gave up while waiting is passed over
                following.set_result(None)
                return
        del self._turns[key]

    async def delete(self, actor: Actor, key: str, if_version: int | None = None, memory_id: str | None = None) -> None:
        def guard(current: Memory | None) -> None:
            if current is None or (memory_id is not None and current.id != memory_id):
                raise _not_found(memory_id or key)
            if not may(actor, current, "write"):
                raise Forbidden(f"{actor.name} may not delete memory key {key!r}", code="memory_write_denied")
            _check_version(actor, key, current, if_version)

        await self._storage.delete_memory(key, actor.agent_id, now_iso(), guard, self._publish)

    async def delete_by_id(self, actor: Actor, memory_id: str, if_version: int | None = None) -> None:
        memory = await self.get_by_id(actor, memory_id)
        await self.delete(actor, memory.key, if_version, memory_id)

    async def update_by_id(self, actor: Actor, memory_id: str, update: MemoryUpdate) -> Memory:
        memory = await self.get_by_id(actor, memory_id)
        return await self.set(actor, memory.key, update, memory_id)

    async def sweep(self) -> None:
        """Expire keys whose time is up; watchers hear of each expiry."""
        now = now_iso()
        if await self._storage.memory_due(now):
            await self._storage.expire_memory(now, self._publish)

    # -- watches -----------------------------------------------------------------------------------------

    async def watch(self, actor: Actor, session: Session, prefix: str) -> WatchStarted:
        """Send `memory:updated` for keys under `prefix` to this connection from now on, and answer with the
        current values (read after the watch started, so nothing falls between the two)."""
        self._watches.setdefault(session, (actor, set()))[1].add(prefix)
        return WatchStarted(prefix=prefix, entries=await self.list_keys(actor, prefix, WATCH_SNAPSHOT))

    def is_watching(self, session: Session) -> bool:
        return session in self._watches

    def unwatch(self, session: Session, prefix: str | None = None) -> None:
        """Stop one prefix, or (None) every watch of the connection."""
        watch = self._watches.get(session)
        if watch is None:
            return
        if prefix is not None:
            watch[1].discard(prefix)
        if prefix is None or not watch[1]:
            del self._watches[session]

    def _publish(self, notices: list[MemoryNotice]) -> None:
        """On the event loop, in commit order: the keys whose compare-and-sets take turns note how the commit
        left them. A watcher hears only of keys it may read."""
        if self._turns:
            for notice in notices:
                turns = self._turns.get(notice.event.key)
                if turns is not None:
                    turns.seen, turns.known = True, notice.event.memory
        if not self._watches:
            return
        for notice in notices:
            event = notice.event
            frame = event_frame("memory:updated", event.model_dump(mode="json"))
            for session, (actor, prefixes) in self._watches.items():
                if any(event.key.startswith(prefix) for prefix in prefixes) and may(actor, notice.entry, "read"):
                    session.push_event(frame)


def _check_version(actor: Actor, key: str, current: Memory | None, if_version: int | None) -> None:
    """Refuse a compare-and-set whose `if_version` is not the key's version. The refusal carries the key as it
    is (`current`) when the actor may read it, so that the loser of a race can try again without reading."""
    version = current.version if current is not None else 0
    if if_version is not None and if_version != version:
        what = "does not exist" if current is None else f"is at version {version}"
        details: dict[str, Any] = {"key": key, "current_version": version, "if_version": if_version}
        if current is not None and may(actor, current, "read"):
            details["current"] = current.model_dump(mode="json")
        raise Conflict(f"memory key {key!r} {what}, not version {if_version}", code="version_mismatch", details=details)
