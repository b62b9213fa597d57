"""SQLite rows for shared memory: the live keys and every version they had."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from agenthub._time import from_iso, parse_iso, to_iso
from agenthub.models import AccessControl, Memory, MemoryChange, MemoryEvent, MemoryVersion
from agenthub.storage.base import MemoryGuard, MemoryNotice, MemoryWrite, OnMemoryCommit
from agenthub.storage.sqlite_audit import audit
from agenthub.storage.sqlite_engine import SQLiteEngine

MEMORY_COLUMNS = "id, key, value, version, created_by, updated_by, created_at, updated_at, expires_at, access_control"
_LIVE = "(expires_at IS NULL OR expires_at > ?)"


def memory_from_row(row: Sequence[Any]) -> Memory:
    acl = orjson.loads(row[9]) if row[9] is not None else None
    return Memory.model_construct(
        id=row[0],
        key=row[1],
        value=orjson.loads(row[2]),
        version=row[3],
        created_by=row[4],
        updated_by=row[5],
        created_at=parse_iso(row[6]),
        updated_at=parse_iso(row[7]),
        expires_at=from_iso(row[8]),
        access_control=AccessControl.model_construct(**acl) if acl is not None else None,
    )


def _live_row(conn: sqlite3.Connection, key: str, now: str) -> Memory | None:
    row = conn.execute(f"SELECT {MEMORY_COLUMNS} FROM memory WHERE key = ? AND {_LIVE}", (key, now)).fetchone()
    return memory_from_row(row) if row else None


def _history(
    conn: sqlite3.Connection, memory: Memory, version: int, change: MemoryChange, actor: str | None, at: str
) -> None:
    """Record the delete or expiry of an entry as a version of its own (no value)."""
    acl = memory.access_control
    conn.execute(
        "INSERT INTO memory_history (key, version, memory_id, change, value, actor_id, at, created_by, access_control)"
        " VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
        (
            memory.key,
            version,
            memory.id,
            change.value,
            actor,
            at,
            memory.created_by,
            acl.model_dump_json() if acl is not None else None,
        ),
    )


def _history_set(conn: sqlite3.Connection, stored: Memory, value: str) -> None:
    """Record a write as the version it made, with the value written."""
    acl = stored.access_control
    conn.execute(
        "INSERT INTO memory_history (key, version, memory_id, change, value, actor_id, at, created_by, access_control)"
        " VALUES (?, ?, ?, 'set', ?, ?, ?, ?, ?)",
        (
            stored.key,
            stored.version,
            stored.id,
            value,
            stored.updated_by,
            to_iso(stored.updated_at),
            stored.created_by,
            acl.model_dump_json() if acl is not None else None,
        ),
    )


def _expire(conn: sqlite3.Connection, now: str, key: str | None = None) -> list[MemoryNotice]:
    """Remove keys whose time is up (one key, or all), recording each expiry as a version of its own."""
    where = "expires_at IS NOT NULL AND expires_at <= ?" + (" AND key = ?" if key is not None else "")
    params: tuple[str, ...] = (now, key) if key is not None else (now,)
    events = []
    rows = conn.execute(f"SELECT {MEMORY_COLUMNS} FROM memory WHERE {where} ORDER BY expires_at", params).fetchall()
    for memory in map(memory_from_row, rows):
        version = memory.version + 1
        conn.execute("DELETE FROM memory WHERE id = ?", (memory.id,))
        _history(conn, memory, version, MemoryChange.expired, None, now)
        audit(conn, None, "memory.expired", "memory", memory.key, {"id": memory.id, "version": version})
        event = MemoryEvent(key=memory.key, version=version, change=MemoryChange.expired, memory=None)
        events.append(MemoryNotice(event, memory))
    return events


def _next_version(conn: sqlite3.Connection, key: str) -> int:
    row = conn.execute("SELECT MAX(version) FROM memory_history WHERE key = ?", (key,)).fetchone()
    return int(row[0] or 0) + 1


def _put(conn: sqlite3.Connection, write: MemoryWrite, guard: MemoryGuard) -> tuple[Memory, list[MemoryNotice]]:
    events = _expire(conn, write.at, write.key)
    current = _live_row(conn, write.key, write.at)
    guard(current)
    version = _next_version(conn, write.key)
    if current is None:
        acl = write.access_control
        memory_id = write.new_id
        conn.execute(
            f"INSERT INTO memory ({MEMORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                memory_id,
                write.key,
                write.value,
                version,
                write.actor_id,
                write.actor_id,
                write.at,
                write.at,
                write.expires_at,
                acl.model_dump_json() if acl is not None else None,
            ),
        )
    else:
        memory_id = current.id
        acl_text = write.access_control.model_dump_json() if write.access_control is not None else None
        conn.execute(
            "UPDATE memory SET value = ?, version = ?, updated_by = ?, updated_at = ?, expires_at = ?,"
            " access_control = COALESCE(?, access_control) WHERE id = ?",
            (write.value, version, write.actor_id, write.at, write.expires_at, acl_text, memory_id),
        )
    details: dict[str, Any] = {"id": memory_id, "version": version}
    if write.expires_at is not None:
        details["expires_at"] = write.expires_at
    if write.access_control is not None:
        details["access_control"] = write.access_control.model_dump()
    audit(conn, write.actor_id, "memory.set", "memory", write.key, details)
    stored = _live_row(conn, write.key, write.at)
    assert stored is not None
    _history_set(conn, stored, write.value)
    events.append(
        MemoryNotice(MemoryEvent(key=write.key, version=version, change=MemoryChange.set, memory=stored), stored)
    )
    return stored, events


def _delete(
    conn: sqlite3.Connection, key: str, actor_id: str | None, at: str, guard: MemoryGuard
) -> tuple[MemoryEvent | None, list[MemoryNotice]]:
    events = _expire(conn, at, key)
    current = _live_row(conn, key, at)
    guard(current)
    if current is None:
        return None, events
    version = current.version + 1
    conn.execute("DELETE FROM memory WHERE id = ?", (current.id,))
    _history(conn, current, version, MemoryChange.deleted, actor_id, at)
    audit(conn, actor_id, "memory.deleted", "memory", key, {"id": current.id, "version": version})
    event = MemoryEvent(key=key, version=version, change=MemoryChange.deleted, memory=None)
    events.append(MemoryNotice(event, current))
    return event, events


class SQLiteMemory:
    _engine: SQLiteEngine

    async def put_memory(
        self, write: MemoryWrite, guard: MemoryGuard, on_commit: OnMemoryCommit | None = None
    ) -> Memory:
        def notify(result: tuple[Memory, list[MemoryNotice]]) -> None:
            if on_commit is not None:
                on_commit(result[1])

        stored, _ = await self._engine.write(lambda conn: _put(conn, write, guard), notify, isolated=True)
        return stored

    async def delete_memory(
        self, key: str, actor_id: str | None, at: str, guard: MemoryGuard, on_commit: OnMemoryCommit | None = None
    ) -> MemoryEvent | None:
        def notify(result: tuple[MemoryEvent | None, list[MemoryNotice]]) -> None:
            if on_commit is not None:
                on_commit(result[1])

        event, _ = await self._engine.write(lambda conn: _delete(conn, key, actor_id, at, guard), notify, isolated=True)
        return event

    async def expire_memory(self, now: str, on_commit: OnMemoryCommit | None = None) -> list[MemoryNotice]:
        return await self._engine.write(lambda conn: _expire(conn, now), on_commit)

    async def memory_due(self, now: str) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            sql = "SELECT 1 FROM memory WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1"
            return conn.execute(sql, (now,)).fetchone() is not None

        return await self._engine.read(op)

    async def get_memory(self, key: str, now: str) -> Memory | None:
        return await self._engine.read(lambda conn: _live_row(conn, key, now))

    async def get_memory_by_id(self, memory_id: str, now: str) -> Memory | None:
        def op(conn: sqlite3.Connection) -> Memory | None:
            sql = f"SELECT {MEMORY_COLUMNS} FROM memory WHERE id = ? AND {_LIVE}"
            row = conn.execute(sql, (memory_id, now)).fetchone()
            return memory_from_row(row) if row else None

        return await self._engine.read(op)

    async def list_memory(self, prefix: str, now: str, limit: int) -> list[Memory]:
        # Keys in order; [prefix, prefix + U+10FFFF) is the range of keys starting with prefix, using the index.
        sql = f"SELECT {MEMORY_COLUMNS} FROM memory WHERE key >= ? AND key < ? AND {_LIVE} ORDER BY key LIMIT ?"

        def op(conn: sqlite3.Connection) -> list[Memory]:
            rows = conn.execute(sql, (prefix, prefix + "\U0010ffff", now, limit)).fetchall()
            return [memory_from_row(row) for row in rows]

        return await self._engine.read(op)

    async def memory_access(self, key: str) -> tuple[str | None, AccessControl | None] | None:
        def op(conn: sqlite3.Connection) -> tuple[str | None, AccessControl | None] | None:
            sql = "SELECT created_by, access_control FROM memory_history WHERE key = ? ORDER BY version DESC LIMIT 1"
            row = conn.execute(sql, (key,)).fetchone()
            if row is None:
                return None
            return row[0], AccessControl.model_construct(**orjson.loads(row[1])) if row[1] is not None else None

        return await self._engine.read(op)

    async def memory_history(self, key: str, limit: int) -> list[MemoryVersion]:
        sql = (
            "SELECT key, version, memory_id, change, value, actor_id, at FROM"
            " (SELECT * FROM memory_history WHERE key = ? ORDER BY version DESC LIMIT ?) ORDER BY version"
        )

        def op(conn: sqlite3.Connection) -> list[MemoryVersion]:
            return [
                MemoryVersion.model_construct(
                    key=row[0],
                    version=row[1],
                    memory_id=row[2],
                    change=MemoryChange(row[3]),
                    value=orjson.loads(row[4]) if row[4] is not None else None,
                    actor_id=row[5],
                    at=parse_iso(row[6]),
                )
                for row in conn.execute(sql, (key, limit))
            ]

        return await self._engine.read(op)
