"""A blocking lock request given up on while its lock is being written does not leave the lock behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agenthub.hub import Hub
from agenthub.models import Lock, LockRequest
from agenthub.storage import NewLock
from agenthub.storage.base import LockGuard
from tests.hub.helpers import agent, rows


async def test_a_request_given_up_on_during_its_final_write_releases_the_lock(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, waiter = await agent(hub, "holder"), await agent(hub, "waiter")
    held = await hub.locks.acquire(holder, LockRequest(resource="src/app.py"))
    take = hub.storage.acquire_lock
    refused = asyncio.Event()
    attempts = 0

    async def taken_as_the_client_goes(new: NewLock, guard: LockGuard) -> Lock:
        nonlocal attempts
        attempts += 1
        if attempts == 1:  # the lock is held: refused, and the request waits for it to be freed
            try:
                return await take(new, guard)
            finally:
                refused.set()
        write = asyncio.ensure_future(take(new, guard))
        await asyncio.sleep(0)  # the write is queued for the writer thread
        request.cancel()  # the client goes away (a disconnect, a closed WebSocket) before the commit answers
        return await write

    monkeypatch.setattr(hub.storage, "acquire_lock", taken_as_the_client_goes)
    request = asyncio.ensure_future(hub.locks.acquire(waiter, LockRequest(resource="src/app.py", wait_seconds=30)))
    await refused.wait()
    await hub.locks.release(holder, held.id)
    with pytest.raises(asyncio.CancelledError):
        await request
    for _ in range(200):  # the lock is written for nobody, then released by the hub: two writes more
        if len(_lock_actions(tmp_path / "hub.db")) == 4:
            break
        await asyncio.sleep(0.01)
    assert _lock_actions(tmp_path / "hub.db") == ["lock.acquired", "lock.released", "lock.acquired", "lock.released"]
    assert await hub.locks.list_locks() == []


def _lock_actions(path: Path) -> list[str]:
    return [action for (action,) in rows(path, "SELECT action FROM audit_log WHERE action LIKE 'lock.%' ORDER BY id")]
