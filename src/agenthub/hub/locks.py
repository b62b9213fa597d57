"""Locks: exclusive and shared, on paths or glob patterns, with a TTL, renewal, and a blocking acquire.

Two locks conflict when their patterns overlap (some path matches both) and at least one is exclusive.
Locks are not re-entrant: a second request from the same holder conflicts like anyone else's.
A blocking acquire sleeps until a lock is released, deleted or lapses, then tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache, partial

from agenthub._ids import new_id
from agenthub._time import TIMER_SLACK, now_iso, to_iso, utcnow
from agenthub.errors import Conflict, Forbidden, InvalidField, NotFound
from agenthub.hub.auth import Actor
from agenthub.models import Lock, LockMode, LockRenew, LockRequest
from agenthub.storage import NewLock, Storage


def normalize(resource: str) -> str:
    """`./src//api/` -> `src/api`: segments without empty or `.` ones."""
    segments = [s for s in resource.strip().split("/") if s not in ("", ".")]
    if not segments:
        raise InvalidField("a lock resource needs at least one path segment", code="invalid_resource")
    return "/".join(segments)


@lru_cache(maxsize=4096)
def overlaps(a: str, b: str) -> bool:
    """Whether some path matches both glob patterns.

    Patterns are `/`-separated segments: `**` (a whole segment) matches zero or more segments; within a
    segment `*` matches any run of characters and `?` exactly one; everything else is literal. The check is
    exact: it searches the product of the two patterns' automata for a common accepted path.
    """
    if not any(c in a or c in b for c in "*?"):
        return a == b  # two plain paths, the common case
    return _sequences_meet(tuple(a.split("/")), tuple(b.split("/")), "**", _segments_meet)


def _segments_meet(p: str, q: str) -> bool:
    """Whether some segment matches both segment patterns (`**` matches any segment)."""
    if p == "**" or q == "**":
        return True
    return _sequences_meet(tuple(p), tuple(q), "*", lambda x, y: x == "?" or y == "?" or x == y)


def _sequences_meet(p: tuple[str, ...], q: tuple[str, ...], star: str, meet: Callable[[str, str], bool]) -> bool:
    """Reachability in the product automaton of two patterns over tokens: `star` matches any run of tokens
    (none included), any other pattern token matches one token, and `meet(x, y)` says whether some token
    matches both pattern tokens x and y."""
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(p) and j == len(q):
            return True
        p_star = i < len(p) and p[i] == star
        q_star = j < len(q) and q[j] == star
        if p_star:
            stack.append((i + 1, j))  # the star is done
        if q_star:
            stack.append((i, j + 1))
        if i < len(p) and j < len(q) and (p_star or q_star or meet(p[i], q[j])):
            # one token matched by both sides; a star stays where it is, it may match more
            stack.append((i if p_star else i + 1, j if q_star else j + 1))
    return False


def conflicts(a: LockMode, b: LockMode) -> bool:
    return a == LockMode.exclusive or b == LockMode.exclusive


class LockHeld(Conflict):
    """The resource is locked."""

    def __init__(self, resource: str, held: list[Lock]) -> None:
        first = held[0]
        intent = f" ({first.intent})" if first.intent else ""
        super().__init__(
            f"{resource!r} overlaps {first.resource!r}, locked {first.mode.value} by {first.holder_name}{intent}",
            code="lock_held",
            details={"holder": first.model_dump(mode="json"), "locks": [lock.model_dump(mode="json") for lock in held]},
        )
        self.held = held


def _expiry(seconds: float) -> str:
    return to_iso(utcnow() + timedelta(seconds=seconds))


class Locks:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._freed = asyncio.Event()
        self._abandoned: set[asyncio.Future[None]] = set()  # releases of locks taken for requests given up on

    def freed(self) -> None:
        """Some lock went away: wake every blocked acquire to try again."""
        self._freed.set()
        self._freed = asyncio.Event()

    async def acquire(self, actor: Actor, request: LockRequest) -> Lock:
        resource = normalize(request.resource)
        deadline = time.monotonic() + request.wait_seconds

        def guard(live: list[Lock]) -> None:
            held = [lock for lock in live if conflicts(request.mode, lock.mode) and overlaps(resource, lock.resource)]
            if held:
                raise LockHeld(resource, held)

        while True:
            freed = self._freed
            new = NewLock(
                id=new_id(),
                resource=resource,
                mode=request.mode,
                holder_id=actor.agent_id,
                intent=request.intent,
                ttl_seconds=request.ttl_seconds,
                acquired_at=now_iso(),
                expires_at=_expiry(request.ttl_seconds),
            )
            taking = asyncio.ensure_future(self._storage.acquire_lock(new, guard))
            try:
                return await asyncio.shield(taking)
            except asyncio.CancelledError:  # the client went away (or the hub stops) while the lock was being taken
                taking.add_done_callback(partial(self._release_abandoned, actor))
                raise
            except LockHeld as held:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                # Sleep until a lock goes away, the first conflicting lock lapses, or the wait is over; then retry.
                until_lapse = (min(lock.expires_at for lock in held.held) - utcnow()).total_seconds() + TIMER_SLACK
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(freed.wait(), timeout=max(0.0, min(left, until_lapse)))

    async def renew(self, actor: Actor, lock_id: str, renew: LockRenew) -> Lock:
        def guard(lock: Lock | None) -> None:
            if lock is None:
                raise Conflict("the lock lapsed or was released: acquire it again", code="lock_lost")
            _check_holder(actor, lock)

        current = await self._storage.get_lock(lock_id, now_iso())
        ttl = renew.ttl_seconds or (current.ttl_seconds if current is not None else 0.0)
        return await self._storage.renew_lock(lock_id, _expiry(ttl), actor.agent_id, now_iso(), guard)

    async def release(self, actor: Actor, lock_id: str) -> Lock:
        def guard(lock: Lock | None) -> None:
            if lock is None:
                raise NotFound(f"no live lock has id {lock_id!r}", code="lock_not_found")
            _check_holder(actor, lock)

        lock = await self._storage.release_lock(lock_id, actor.agent_id, now_iso(), guard)
        self.freed()
        return lock

    def _release_abandoned(self, actor: Actor, taking: asyncio.Future[Lock]) -> None:
        """A lock taken for a request that was given up on is released at once, not left to its TTL."""
        if not taking.cancelled() and taking.exception() is None:
            releasing = asyncio.ensure_future(self._release_quietly(actor, taking.result().id))
            self._abandoned.add(releasing)
            releasing.add_done_callback(self._abandoned.discard)

    async def _release_quietly(self, actor: Actor, lock_id: str) -> None:
        with contextlib.suppress(Exception):  # already released or lapsed, or the hub is stopping: nothing to undo
            await self.release(actor, lock_id)

    async def get(self, lock_id: str) -> Lock:
        lock = await self._storage.get_lock(lock_id, now_iso())
        if lock is None:
            raise NotFound(f"no live lock has id {lock_id!r}", code="lock_not_found")
        return lock

    async def list_locks(self, resource: str | None = None) -> list[Lock]:
        """Live locks, oldest first; with `resource`, only those overlapping it."""
        live = await self._storage.list_locks(now_iso())
        if resource is None:
            return live
        pattern = normalize(resource)
        return [lock for lock in live if overlaps(pattern, lock.resource)]

    async def sweep(self) -> None:
        now = now_iso()
        if await self._storage.locks_due(now) and await self._storage.expire_locks(now):
            self.freed()


def _check_holder(actor: Actor, lock: Lock) -> None:
    if not actor.is_operator and lock.holder_id != actor.agent_id:
        raise Forbidden(f"the lock is held by {lock.holder_name}: only the holder or the operator", code="not_holder")
