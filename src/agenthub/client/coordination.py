"""Coordination methods of the SDK clients (memory, locks, threads, approvals, audit), as mixins of
`AgentClient` (async) and `Client` (sync). Both build every call with `CoordinationCalls`; they differ
only in how they wait."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol, TypeVar

from agenthub.client._coordination import CoordinationCalls as Calls
from agenthub.client._coordination import next_poll, renew_every
from agenthub.client._core import Call
from agenthub.errors import AgentHubError, NotFound
from agenthub.models import (
    AccessControl,
    Approval,
    AuditEntry,
    Lock,
    LockMode,
    Memory,
    MemoryEvent,
    MemoryVersion,
    Reply,
    Thread,
)

T = TypeVar("T")
H = TypeVar("H")
log = logging.getLogger("agenthub.client")
Acl = AccessControl | dict[str, list[str]] | None


class _AsyncHost(Protocol):
    _memory_watches: list[str]

    async def _call(self, call: Call[T], token: str | None = None) -> T: ...

    async def request(self, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def on_event(self, event: str, parse: Callable[[dict[str, Any]], Any] | None = None) -> Callable[[Any], Any]: ...


class _SyncHost(Protocol):
    def _call(self, call: Call[T]) -> T: ...


class AsyncCoordination:
    """Shared memory, locks, the board, approvals and the audit log for `AgentClient`."""

    # -- memory ---------------------------------------------------------------------------------------

    async def set_memory(
        self: _AsyncHost,
        key: str,
        value: Any,
        *,
        if_version: int | None = None,
        ttl_seconds: float | None = None,
        access_control: Acl = None,
    ) -> Memory:
        """Write a key; `if_version` makes it a compare-and-set (raises `Conflict`; `0`: create only)."""
        call = Calls.set_memory(
            key, value, if_version=if_version, ttl_seconds=ttl_seconds, access_control=access_control
        )
        return await self._call(call)

    async def get_memory(self: _AsyncHost, key: str) -> Memory:
        """The key's entry (`.value`, `.version`); raises `NotFound`."""
        return await self._call(Calls.get_memory(key))

    async def delete_memory(self: _AsyncHost, key: str, if_version: int | None = None) -> None:
        await self._call(Calls.delete_memory(key, if_version))

    async def list_memory(self: _AsyncHost, prefix: str = "", limit: int = 1000) -> list[Memory]:
        return await self._call(Calls.list_memory(prefix, limit))

    async def memory_history(self: _AsyncHost, key: str, limit: int = 1000) -> list[MemoryVersion]:
        return await self._call(Calls.memory_history(key, limit))

    async def watch_memory(self: _AsyncHost, prefix: str = "") -> list[Memory]:
        """Receive `memory:updated` for keys under `prefix` (handle them with `on_memory`); returns the current
        values. The watch is renewed by itself after a reconnect."""
        if prefix not in self._memory_watches:
            self._memory_watches.append(prefix)
        started = await self.request("memory:watch", {"prefix": prefix})
        return [Memory.model_validate(entry) for entry in started["entries"]]

    def on_memory(self: _AsyncHost, handler: H) -> H:
        """Decorator: `handler(MemoryEvent)` for every change under a watched prefix, in version order per key."""
        self.on_event("memory:updated", MemoryEvent.model_validate)(handler)
        return handler

    async def _rewatch(self: _AsyncHost) -> None:
        for prefix in self._memory_watches:
            await self.request("memory:watch", {"prefix": prefix})

    # -- locks -----------------------------------------------------------------------------------------

    async def acquire_lock(
        self: _AsyncHost,
        resource: str,
        *,
        intent: str | None = None,
        ttl_seconds: float = 60.0,
        mode: LockMode | str = LockMode.exclusive,
        wait_seconds: float = 0.0,
    ) -> Lock:
        """Lock a path or glob; raises `Conflict` (details name the holder) when it stays held past `wait_seconds`."""
        call = Calls.acquire_lock(
            resource, intent=intent, ttl_seconds=ttl_seconds, mode=mode, wait_seconds=wait_seconds
        )
        return await self._call(call)

    async def renew_lock(self: _AsyncHost, lock_id: str, ttl_seconds: float | None = None) -> Lock:
        return await self._call(Calls.renew_lock(lock_id, ttl_seconds))

    async def release_lock(self: _AsyncHost, lock_id: str) -> None:
        await self._call(Calls.release_lock(lock_id))

    async def list_locks(self: _AsyncHost, resource: str | None = None) -> list[Lock]:
        return await self._call(Calls.list_locks(resource))

    @contextlib.asynccontextmanager
    async def lock_file(
        self: _AsyncHost,
        path: str,
        *,
        intent: str | None = None,
        ttl_seconds: float = 60.0,
        mode: LockMode | str = LockMode.exclusive,
        wait_seconds: float = 0.0,
    ) -> AsyncIterator[Lock]:
        """`async with agent.lock_file("backend/main.py", intent="..."):` holds the lock, renewing it while the
        block runs, and releases it on exit, also when the block raises."""
        call = Calls.acquire_lock(path, intent=intent, ttl_seconds=ttl_seconds, mode=mode, wait_seconds=wait_seconds)
        lock = await self._call(call)

        async def keep() -> None:
            while True:
                await asyncio.sleep(renew_every(ttl_seconds))
                await self._call(Calls.renew_lock(lock.id, ttl_seconds))

        renewing = asyncio.create_task(keep())
        try:
            yield lock
        finally:
            renewing.cancel()
            try:
                await renewing
            except asyncio.CancelledError:
                pass
            except AgentHubError as exc:
                log.warning("renewing the lock on %s failed: %s", path, exc)
            with contextlib.suppress(NotFound):
                await self._call(Calls.release_lock(lock.id))

    # -- the board ---------------------------------------------------------------------------------------

    async def post_thread(
        self: _AsyncHost, title: str, content: str, priority: str = "normal", channel: str | None = None
    ) -> Thread:
        return await self._call(Calls.post_thread(title, content, priority, channel))

    async def reply(self: _AsyncHost, thread_id: str, content: str) -> Reply:
        return await self._call(Calls.reply(thread_id, content))

    async def get_thread(self: _AsyncHost, thread_id: str) -> Thread:
        return await self._call(Calls.get_thread(thread_id))

    async def list_threads(self: _AsyncHost, channel: str | None = None, limit: int = 50) -> list[Thread]:
        return await self._call(Calls.list_threads(channel, limit))

    # -- approvals ---------------------------------------------------------------------------------------

    async def request_approval(
        self: _AsyncHost, action: str, details: dict[str, Any] | None = None, timeout: float = 3600.0
    ) -> Approval:
        """Ask for approval and wait for the decision: returns the request `approved`, `denied` or `expired`."""
        approval = await self._call(Calls.create_approval(action, details, timeout))
        while (wait := next_poll(approval)) is not None:
            approval = await self._call(Calls.get_approval(approval.id, wait))
        return approval

    async def approve(self: _AsyncHost, approval_id: str, reason: str | None = None) -> Approval:
        return await self._call(Calls.decide(approval_id, True, reason))

    async def deny(self: _AsyncHost, approval_id: str, reason: str | None = None) -> Approval:
        return await self._call(Calls.decide(approval_id, False, reason))

    async def list_approvals(self: _AsyncHost, status: str | None = None, limit: int = 50) -> list[Approval]:
        return await self._call(Calls.list_approvals(status, limit))

    # -- audit -------------------------------------------------------------------------------------------

    async def log_decision(self: _AsyncHost, decision_type: str, context: str, reason: str) -> AuditEntry:
        return await self._call(Calls.log_decision(decision_type, context, reason))

    async def audit_log(self: _AsyncHost, **filters: Any) -> list[AuditEntry]:
        """Entries oldest first; filters `actor_id`, `action`, `since` (ISO time), `limit`."""
        return await self._call(Calls.audit(**filters))


class SyncCoordination:
    """The same for the blocking `Client` (no watches: it has no live stream)."""

    def set_memory(
        self: _SyncHost,
        key: str,
        value: Any,
        *,
        if_version: int | None = None,
        ttl_seconds: float | None = None,
        access_control: Acl = None,
    ) -> Memory:
        call = Calls.set_memory(
            key, value, if_version=if_version, ttl_seconds=ttl_seconds, access_control=access_control
        )
        return self._call(call)

    def get_memory(self: _SyncHost, key: str) -> Memory:
        return self._call(Calls.get_memory(key))

    def delete_memory(self: _SyncHost, key: str, if_version: int | None = None) -> None:
        self._call(Calls.delete_memory(key, if_version))

    def list_memory(self: _SyncHost, prefix: str = "", limit: int = 1000) -> list[Memory]:
        return self._call(Calls.list_memory(prefix, limit))

    def memory_history(self: _SyncHost, key: str, limit: int = 1000) -> list[MemoryVersion]:
        return self._call(Calls.memory_history(key, limit))

    def acquire_lock(
        self: _SyncHost,
        resource: str,
        *,
        intent: str | None = None,
        ttl_seconds: float = 60.0,
        mode: LockMode | str = LockMode.exclusive,
        wait_seconds: float = 0.0,
    ) -> Lock:
        call = Calls.acquire_lock(
            resource, intent=intent, ttl_seconds=ttl_seconds, mode=mode, wait_seconds=wait_seconds
        )
        return self._call(call)

    def renew_lock(self: _SyncHost, lock_id: str, ttl_seconds: float | None = None) -> Lock:
        return self._call(Calls.renew_lock(lock_id, ttl_seconds))

    def release_lock(self: _SyncHost, lock_id: str) -> None:
        self._call(Calls.release_lock(lock_id))

    def list_locks(self: _SyncHost, resource: str | None = None) -> list[Lock]:
        return self._call(Calls.list_locks(resource))

    @contextlib.contextmanager
    def lock_file(
        self: _SyncHost,
        path: str,
        *,
        intent: str | None = None,
        ttl_seconds: float = 60.0,
        mode: LockMode | str = LockMode.exclusive,
        wait_seconds: float = 0.0,
    ) -> Iterator[Lock]:
        """`with client.lock_file("backend/main.py", intent="..."):` holds the lock, renewing it from a
        background thread while the block runs, and releases it on exit, also when the block raises."""
        call = Calls.acquire_lock(path, intent=intent, ttl_seconds=ttl_seconds, mode=mode, wait_seconds=wait_seconds)
        lock = self._call(call)
        done = threading.Event()

        def keep() -> None:
            while not done.wait(renew_every(ttl_seconds)):
                try:
                    self._call(Calls.renew_lock(lock.id, ttl_seconds))
                except AgentHubError as exc:
                    log.warning("renewing the lock on %s failed: %s", path, exc)
                    return

        renewing = threading.Thread(target=keep, name=f"agenthub-lock-{lock.id[:8]}", daemon=True)
        renewing.start()
        try:
            yield lock
        finally:
            done.set()
            renewing.join()
            with contextlib.suppress(NotFound):
                self._call(Calls.release_lock(lock.id))

    def post_thread(
        self: _SyncHost, title: str, content: str, priority: str = "normal", channel: str | None = None
    ) -> Thread:
        return self._call(Calls.post_thread(title, content, priority, channel))

    def reply(self: _SyncHost, thread_id: str, content: str) -> Reply:
        return self._call(Calls.reply(thread_id, content))

    def get_thread(self: _SyncHost, thread_id: str) -> Thread:
        return self._call(Calls.get_thread(thread_id))

    def list_threads(self: _SyncHost, channel: str | None = None, limit: int = 50) -> list[Thread]:
        return self._call(Calls.list_threads(channel, limit))

    def request_approval(
        self: _SyncHost, action: str, details: dict[str, Any] | None = None, timeout: float = 3600.0
    ) -> Approval:
        """Ask for approval and block until the decision: returns the request `approved`, `denied` or `expired`."""
        approval = self._call(Calls.create_approval(action, details, timeout))
        while (wait := next_poll(approval)) is not None:
            approval = self._call(Calls.get_approval(approval.id, wait))
        return approval

    def approve(self: _SyncHost, approval_id: str, reason: str | None = None) -> Approval:
        return self._call(Calls.decide(approval_id, True, reason))

    def deny(self: _SyncHost, approval_id: str, reason: str | None = None) -> Approval:
        return self._call(Calls.decide(approval_id, False, reason))

    def list_approvals(self: _SyncHost, status: str | None = None, limit: int = 50) -> list[Approval]:
        return self._call(Calls.list_approvals(status, limit))

    def log_decision(self: _SyncHost, decision_type: str, context: str, reason: str) -> AuditEntry:
        return self._call(Calls.log_decision(decision_type, context, reason))

    def audit_log(self: _SyncHost, **filters: Any) -> list[AuditEntry]:
        return self._call(Calls.audit(**filters))
