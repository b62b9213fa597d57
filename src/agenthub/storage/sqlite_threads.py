"""SQLite rows for board threads and their replies."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from agenthub._time import parse_iso
from agenthub.models import Reply, Thread, ThreadPriority
from agenthub.storage.base import NewReply, NewThread
from agenthub.storage.sqlite_audit import audit
from agenthub.storage.sqlite_engine import SQLiteEngine

_THREAD = "SELECT id, title, content, priority, channel, author_id, reply_count, created_at, updated_at FROM threads"
_REPLY = "SELECT id, thread_id, author_id, content, created_at FROM thread_replies"


def thread_from_row(row: Sequence[Any]) -> Thread:
    return Thread.model_construct(
        id=row[0],
        title=row[1],
        content=row[2],
        priority=ThreadPriority(row[3]),
        channel=row[4],
        author_id=row[5],
        reply_count=row[6],
        created_at=parse_iso(row[7]),
        updated_at=parse_iso(row[8]),
        replies=None,
    )


def reply_from_row(row: Sequence[Any]) -> Reply:
    return Reply.model_construct(
        id=row[0], thread_id=row[1], author_id=row[2], content=row[3], created_at=parse_iso(row[4])
    )


class SQLiteThreads:
    _engine: SQLiteEngine

    async def create_thread(self, new: NewThread) -> Thread:
        def op(conn: sqlite3.Connection) -> Thread:
            conn.execute(
                "INSERT INTO threads (id, title, content, priority, channel, author_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.id,
                    new.title,
                    new.content,
                    new.priority.value,
                    new.channel,
                    new.author_id,
                    new.created_at,
                    new.created_at,
                ),
            )
            details = {"title": new.title, "channel": new.channel, "priority": new.priority.value}
            audit(conn, new.author_id, "thread.created", "thread", new.id, details)
            return thread_from_row(conn.execute(f"{_THREAD} WHERE id = ?", (new.id,)).fetchone())

        return await self._engine.write(op)

    async def add_reply(self, new: NewReply) -> Reply | None:
        def op(conn: sqlite3.Connection) -> Reply | None:
            changed = conn.execute(
                "UPDATE threads SET reply_count = reply_count + 1, updated_at = ? WHERE id = ?",
                (new.created_at, new.thread_id),
            ).rowcount
            if not changed:
                return None
            conn.execute(
                "INSERT INTO thread_replies (id, thread_id, author_id, content, created_at) VALUES (?, ?, ?, ?, ?)",
                (new.id, new.thread_id, new.author_id, new.content, new.created_at),
            )
            audit(conn, new.author_id, "thread.replied", "thread", new.thread_id, {"reply_id": new.id})
            return Reply.model_construct(
                id=new.id,
                thread_id=new.thread_id,
                author_id=new.author_id,
                content=new.content,
                created_at=parse_iso(new.created_at),
            )

        return await self._engine.write(op)

    async def get_thread(self, thread_id: str) -> Thread | None:
        def op(conn: sqlite3.Connection) -> Thread | None:
            row = conn.execute(f"{_THREAD} WHERE id = ?", (thread_id,)).fetchone()
            if row is None:
                return None
            thread = thread_from_row(row)
            rows = conn.execute(f"{_REPLY} WHERE thread_id = ? ORDER BY created_at, rowid", (thread_id,))
            thread.replies = [reply_from_row(r) for r in rows]
            return thread

        return await self._engine.read(op)

    async def list_threads(self, channel: str | None, limit: int) -> list[Thread]:
        def op(conn: sqlite3.Connection) -> list[Thread]:
            if channel is None:
                rows = conn.execute(f"{_THREAD} ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
            else:
                sql = f"{_THREAD} WHERE channel = ? ORDER BY created_at DESC, rowid DESC LIMIT ?"
                rows = conn.execute(sql, (channel, limit)).fetchall()
            return [thread_from_row(row) for row in reversed(rows)]

        return await self._engine.read(op)
