"""SQLite rows for locks. A lock past its `expires_at` is free: it is ignored at once and removed lazily."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from agenthub._time import parse_iso
from agenthub.models import Lock, LockMode
from agenthub.storage.base import HeldLockGuard, LockGuard, NewLock
from agenthub.storage.sqlite_audit import audit
from agenthub.storage.sqlite_engine import SQLiteEngine

_SELECT = (
    "SELECT l.id, l.resource, l.mode, l.holder_id, a.name, l.intent, l.acquired_at, l.expires_at, l.ttl_seconds"
    " FROM locks l LEFT JOIN agents a ON a.id = l.holder_id"
)


def lock_from_row(row: Sequence[Any]) -> Lock:
    return Lock.model_construct(
        id=row[0],
        resource=row[1],
        mode=LockMode(row[2]),
        holder_id=row[3],
        holder_name=row[4] if row[3] is not None else "operator",
        intent=row[5],
        acquired_at=parse_iso(row[6]),
        expires_at=parse_iso(row[7]),
        ttl_seconds=row[8],
    )


def _live(conn: sqlite3.Connection, now: str) -> list[Lock]:
    return [
        lock_from_row(row) for row in conn.execute(f"{_SELECT} WHERE l.expires_at > ? ORDER BY l.acquired_at", (now,))
    ]


def _live_one(conn: sqlite3.Connection, lock_id: str, now: str) -> Lock | None:
    row = conn.execute(f"{_SELECT} WHERE l.id = ? AND l.expires_at > ?", (lock_id, now)).fetchone()
    return lock_from_row(row) if row else None


def _expire(conn: sqlite3.Connection, now: str) -> list[Lock]:
    lapsed = [lock_from_row(row) for row in conn.execute(f"{_SELECT} WHERE l.expires_at <= ?", (now,)).fetchall()]
    for lock in lapsed:
        conn.execute("DELETE FROM locks WHERE id = ?", (lock.id,))
        audit(conn, lock.holder_id, "lock.expired", "lock", lock.id, {"resource": lock.resource})
    return lapsed


class SQLiteLocks:
    _engine: SQLiteEngine

    async def acquire_lock(self, new: NewLock, guard: LockGuard) -> Lock:
        def op(conn: sqlite3.Connection) -> Lock:
            _expire(conn, new.acquired_at)
            guard(_live(conn, new.acquired_at))
            conn.execute(
                "INSERT INTO locks (id, resource, mode, holder_id, intent, ttl_seconds, acquired_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.id,
                    new.resource,
                    new.mode.value,
                    new.holder_id,
                    new.intent,
                    new.ttl_seconds,
                    new.acquired_at,
                    new.expires_at,
                ),
            )
            details = {
                "resource": new.resource,
                "mode": new.mode.value,
                "intent": new.intent,
                "expires_at": new.expires_at,
            }
            audit(conn, new.holder_id, "lock.acquired", "lock", new.id, details)
            lock = _live_one(conn, new.id, new.acquired_at)
            assert lock is not None
            return lock

        return await self._engine.write(op, isolated=True)

    async def renew_lock(
        self, lock_id: str, expires_at: str, actor_id: str | None, now: str, guard: HeldLockGuard
    ) -> Lock:
        def op(conn: sqlite3.Connection) -> Lock:
            guard(_live_one(conn, lock_id, now))
            conn.execute("UPDATE locks SET expires_at = ? WHERE id = ?", (expires_at, lock_id))
            audit(conn, actor_id, "lock.renewed", "lock", lock_id, {"expires_at": expires_at})
            lock = _live_one(conn, lock_id, now)
            assert lock is not None
            return lock

        return await self._engine.write(op, isolated=True)

    async def release_lock(self, lock_id: str, actor_id: str | None, now: str, guard: HeldLockGuard) -> Lock:
        def op(conn: sqlite3.Connection) -> Lock:
            lock = _live_one(conn, lock_id, now)
            guard(lock)
            assert lock is not None
            conn.execute("DELETE FROM locks WHERE id = ?", (lock_id,))
            audit(conn, actor_id, "lock.released", "lock", lock_id, {"resource": lock.resource})
            return lock

        return await self._engine.write(op, isolated=True)

    async def get_lock(self, lock_id: str, now: str) -> Lock | None:
        return await self._engine.read(lambda conn: _live_one(conn, lock_id, now))

    async def list_locks(self, now: str) -> list[Lock]:
        return await self._engine.read(lambda conn: _live(conn, now))

    async def expire_locks(self, now: str) -> list[Lock]:
        return await self._engine.write(lambda conn: _expire(conn, now))

    async def locks_due(self, now: str) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            return conn.execute("SELECT 1 FROM locks WHERE expires_at <= ? LIMIT 1", (now,)).fetchone() is not None

        return await self._engine.read(op)
