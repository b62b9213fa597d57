"""SQLite rows for the message stream: messages, direct recipients and receipts, dedup, channels, search."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from agenthub._time import from_iso, parse_iso
from agenthub.models import Channel, Message, MessageType, Receipt, Subscription, covers
from agenthub.models.common import trusted
from agenthub.storage.base import MessageQuery, NewMessage, OnCommit
from agenthub.storage.sqlite_audit import audit
from agenthub.storage.sqlite_engine import SQLiteEngine, once_before_commit, run_before_commit_now
from agenthub.storage.sqlite_rows import RowsInsert, json_parameter

log = logging.getLogger(__name__)

MESSAGE_COLUMNS = (
    "m.seq, m.id, m.channel, m.sender_id, m.recipients, m.task_id, m.thread_id, m.title, m.content,"
    " m.message_type, m.metadata, m.msg_id, m.created_at"
)
INSERT_MESSAGES = RowsInsert(
    "INSERT INTO messages",
    "id, channel, sender_id, recipients, task_id, thread_id, title, content, message_type, metadata, msg_id,"
    " created_at",
)
_INSERT_RECIPIENTS = RowsInsert("INSERT OR IGNORE INTO message_recipients", "agent_id, seq")
_INSERT_DEDUP = RowsInsert("INSERT OR REPLACE INTO message_dedup", "sender_key, msg_id, seq, created_at")
_ORIGINAL = (
    f"SELECT {MESSAGE_COLUMNS} FROM message_dedup d JOIN messages m ON m.seq = d.seq"
    " WHERE d.sender_key = ? AND d.msg_id = ? AND d.created_at > ?"
)
_ORIGINALS = (
    f"SELECT j.key, {MESSAGE_COLUMNS} FROM json_each(?) j"
    " JOIN message_dedup d ON d.sender_key = j.value ->> 0 AND d.msg_id = j.value ->> 1"
    " JOIN messages m ON m.seq = d.seq WHERE d.created_at > ?"
)
_MARK_DELIVERED = (  # one statement for a batch of receipts, as `RowsInsert` does for inserts
    "UPDATE message_recipients AS r SET delivered_at = ?"
    " FROM (SELECT value ->> 0 AS agent_id, value ->> 1 AS seq FROM json_each(?)) AS d"
    " WHERE r.agent_id = d.agent_id AND r.seq = d.seq AND r.delivered_at IS NULL"
)
INDEX_FOR_SEARCH = (
    "INSERT INTO messages_fts (rowid, title, content) SELECT seq, title, content FROM messages WHERE seq >= ?"
)
_VISIBLE = (
    "(m.channel IS NOT NULL OR m.sender_id = :viewer"
    " OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.seq = m.seq AND r.agent_id = :viewer))"
)


_MESSAGE_TYPES = {kind.value: kind for kind in MessageType}


def stored_message(fields: dict[str, Any]) -> Message:
    """A `Message` from stored values (`created_at` still text), built without validation: once per message."""
    fields["message_type"] = _MESSAGE_TYPES[fields["message_type"]]
    fields["created_at"] = parse_iso(fields["created_at"])
    fields.setdefault("duplicate", False)
    fields["receipts"] = None
    return trusted(Message, fields)


def message_from_row(row: Sequence[Any], duplicate: bool = False) -> Message:
    return stored_message(
        {
            "seq": row[0],
            "id": row[1],
            "channel": row[2],
            "sender_id": row[3],
            "recipients": orjson.loads(row[4]),
            "task_id": row[5],
            "thread_id": row[6],
            "title": row[7],
            "content": row[8],
            "message_type": row[9],
            "metadata": orjson.loads(row[10]),
            "msg_id": row[11],
            "created_at": row[12],
            "duplicate": duplicate,
        }
    )


def _attach_receipts(conn: sqlite3.Connection, messages: list[Message]) -> list[Message]:
    direct = {m.seq: m for m in messages if m.recipients}
    if not direct:
        return messages
    marks = ",".join("?" * len(direct))
    receipts: dict[int, list[Receipt]] = {seq: [] for seq in direct}
    for agent_id, seq, delivered, read in conn.execute(
        f"SELECT agent_id, seq, delivered_at, read_at FROM message_recipients WHERE seq IN ({marks})", tuple(direct)
    ):
        receipts[seq].append(
            Receipt.model_construct(agent_id=agent_id, delivered_at=from_iso(delivered), read_at=from_iso(read))
        )
    for seq, message in direct.items():
        order = {agent_id: i for i, agent_id in enumerate(message.recipients)}
        message.receipts = sorted(receipts[seq], key=lambda r: order.get(r.agent_id, 0))
    return messages


def insert_messages(conn: sqlite3.Connection, new: Sequence[NewMessage], dedup_after: str) -> list[Message]:
    """Store messages inside the caller's write (other features use it to add stream entries to their writes).

    Each table's rows go in with one statement (`RowsInsert`); the fresh messages' seqs are the ones that
    statement gave, one after the other up to the last rowid it inserted. A repeated `msg_id` (within the
    dedup window) answers the original."""
    originals = _originals(conn, new, dedup_after)
    fresh = [m for index, m in enumerate(new) if index not in originals]
    if not fresh:
        return [originals[index] for index in sorted(originals)]
    given = [(m.dedup_key, m.msg_id) for m in fresh if m.msg_id is not None]
    if len(set(given)) < len(given):  # a msg_id repeated within the batch answers the first: one by one
        return [message for m in new for message in insert_messages(conn, [m], dedup_after)]
    last_seq = INSERT_MESSAGES.run(
        conn,
        [
            (
                m.id,
                m.channel,
                m.sender_id,
                orjson.dumps(m.recipients).decode(),
                m.task_id,
                m.thread_id,
                m.title,
                m.content,
                m.message_type,
                orjson.dumps(m.metadata).decode(),
                m.msg_id,
                m.created_at,
            )
            for m in fresh
        ],
    )
    first_seq = last_seq - len(fresh) + 1
    once_before_commit(conn, "messages_fts", partial(_index_for_search, first_seq=first_seq))
    recipients: list[tuple[str, int]] = []
    dedup: list[tuple[str, str, int, str]] = []
    channel_counts: dict[str, tuple[int, int, str]] = {}
    senders: dict[str | None, list[Message]] = {}
    stored: list[Message] = []
    seqs = itertools.count(first_seq)
    for index, m in enumerate(new):
        if index in originals:
            stored.append(originals[index])
            continue
        seq = next(seqs)
        recipients += [(agent_id, seq) for agent_id in m.recipients]
        if m.msg_id is not None and m.dedup_key is not None:
            dedup.append((m.dedup_key, m.msg_id, seq, m.created_at))
        if m.channel is not None:
            count, _, first = channel_counts.get(m.channel, (0, 0, m.created_at))
            channel_counts[m.channel] = (count + 1, seq, first)
        message = stored_message(
            {
                "seq": seq,
                "id": m.id,
                "channel": m.channel,
                "sender_id": m.sender_id,
                "recipients": m.recipients,
                "task_id": m.task_id,
                "thread_id": m.thread_id,
                "title": m.title,
                "content": m.content,
                "message_type": m.message_type,
                "metadata": m.metadata,
                "msg_id": m.msg_id,
                "created_at": m.created_at,
            }
        )
        senders.setdefault(m.sender_id, []).append(message)
        stored.append(message)
    if recipients:
        _INSERT_RECIPIENTS.run(conn, recipients)
    if dedup:
        _INSERT_DEDUP.run(conn, dedup)
    if channel_counts:
        conn.executemany(
            "INSERT INTO channels (name, message_count, last_seq, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET message_count = message_count + excluded.message_count,"
            " last_seq = excluded.last_seq",
            [(name, count, seq, first) for name, (count, seq, first) in channel_counts.items()],
        )
    for sender_id, sent in senders.items():
        details = {"count": len(sent), "first_seq": sent[0].seq, "last_seq": sent[-1].seq}
        audit(conn, sender_id, "message.published", "message", sent[0].id, details)
    return stored


def _originals(conn: sqlite3.Connection, new: Sequence[NewMessage], dedup_after: str) -> dict[int, Message]:
    """The stored originals of the messages whose `msg_id` was seen within the dedup window, by position."""
    keyed = [index for index, m in enumerate(new) if m.msg_id is not None and m.dedup_key is not None]
    if not keyed:
        return {}
    pairs = [(new[index].dedup_key, new[index].msg_id) for index in keyed]
    text = json_parameter(pairs)
    if text is None:  # a NUL character in a msg_id: looked up one by one
        rows = [(at, *row) for at, pair in enumerate(pairs) for row in conn.execute(_ORIGINAL, (*pair, dedup_after))]
    else:
        rows = conn.execute(_ORIGINALS, (text, dedup_after)).fetchall()
    return {keyed[row[0]]: message_from_row(row[1:], duplicate=True) for row in rows}


def _index_for_search(conn: sqlite3.Connection, first_seq: int) -> None:
    """Add this transaction's new messages to the full-text index, in one statement."""
    conn.execute(INDEX_FOR_SEARCH, (first_seq,))


def _fts_query(text: str) -> str:
    """Each word as a quoted FTS5 term, so user input is never parsed as query syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in text.split())


@dataclass(slots=True)
class _Append:
    new: Sequence[NewMessage]
    dedup_after: str
    on_commit: OnCommit | None
    future: asyncio.Future[list[Message]]


class MergedAppends:
    """Appends that are queued before the writer starts on them are stored as one write.

    Each statement of a write costs the writer a wait for the interpreter lock (`sqlite_rows`), and a
    commit often takes the appends of several turns of the event loop: merged, it runs the message insert,
    the sequence read, the dedup lookup and the channel update once instead of once per append. The write
    takes its appends when it starts on the writer thread; an append after that starts the next write. If
    a merged write fails, each of its appends is tried again as a write of its own, so only a failing one
    fails."""

    def __init__(self, engine: SQLiteEngine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._open: list[_Append] | None = None  # the appends of the write queued and not started yet

    def append(
        self, new: Sequence[NewMessage], dedup_after: str, on_commit: OnCommit | None
    ) -> asyncio.Future[list[Message]]:
        entry = _Append(new, dedup_after, on_commit, asyncio.get_running_loop().create_future())
        with self._lock:
            if self._open is not None:
                self._open.append(entry)
                return entry.future
            appends = self._open = [entry]

        def op(conn: sqlite3.Connection) -> list[Message]:
            with self._lock:  # from now on nobody joins this write
                if self._open is appends:
                    self._open = None
            merged = [m for a in appends for m in a.new]
            return insert_messages(conn, merged, min(a.dedup_after for a in appends))

        self._store(op, appends)
        return entry.future

    def _store(self, op: Callable[[sqlite3.Connection], list[Message]], appends: list[_Append]) -> None:
        write = self._engine.submit(op, partial(_notify, appends))
        write.add_done_callback(partial(self._answer, appends))

    def _answer(self, appends: list[_Append], write: asyncio.Future[list[Message]]) -> None:
        with self._lock:  # refused before the writer started on it (the storage failed): nobody may join it now
            if self._open is appends:
                self._open = None
        error = None if write.cancelled() else write.exception()
        if error is not None and len(appends) > 1:
            for a in appends:
                self._store(partial(_insert, a), [a])
            return
        stored = write.result() if not write.cancelled() and error is None else []
        for a, part in _parts(appends, stored):
            if a.future.done():  # the caller gave up
                continue
            if write.cancelled():
                a.future.cancel()
            elif error is not None:
                a.future.set_exception(error)
            else:
                a.future.set_result(part)


def _insert(append: _Append, conn: sqlite3.Connection) -> list[Message]:
    return insert_messages(conn, append.new, append.dedup_after)


def _parts(appends: list[_Append], stored: list[Message]) -> Iterator[tuple[_Append, list[Message]]]:
    """Each append with its share of a merged write's stored messages (none when the write failed)."""
    start = 0
    for a in appends:
        yield a, stored[start : start + len(a.new)]
        start += len(a.new)


def _notify(appends: list[_Append], stored: list[Message]) -> None:
    """After the commit, in order: each append's `on_commit` gets its newly stored messages."""
    for a, part in _parts(appends, stored):
        if a.on_commit is None:
            continue
        try:
            a.on_commit([m for m in part if not m.duplicate])
        except Exception:  # a broken callback must not keep the other appends' from running
            log.exception("on_commit callback failed")


class SQLiteMessages:
    _engine: SQLiteEngine
    _appends: MergedAppends

    async def append_messages(
        self, new: Sequence[NewMessage], dedup_after: str, on_commit: OnCommit | None = None
    ) -> list[Message]:
        return await self._appends.append(new, dedup_after, on_commit)

    async def get_message(self, message_id: str) -> Message | None:
        def op(conn: sqlite3.Connection) -> Message | None:
            row = conn.execute(f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?", (message_id,)).fetchone()
            return _attach_receipts(conn, [message_from_row(row)])[0] if row else None

        return await self._engine.read(op)

    async def query_messages(self, query: MessageQuery, viewer_id: str | None = None) -> list[Message]:
        where: list[str] = []
        params: dict[str, Any] = {"limit": query.limit, "viewer": viewer_id}
        for column in ("channel", "sender_id", "task_id", "thread_id"):
            value = getattr(query, column)
            if value is not None:
                where.append(f"m.{column} = :{column}")
                params[column] = value
        if query.since is not None:
            where.append("m.seq > :since")
            params["since"] = query.since
        if query.before is not None:
            where.append("m.seq < :before")
            params["before"] = query.before
        if query.since_time is not None:
            where.append("m.created_at > :since_time")
            params["since_time"] = query.since_time
        if viewer_id is not None:
            where.append(_VISIBLE)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = "ASC" if query.since is not None or query.since_time is not None else "DESC"
        sql = f"SELECT {MESSAGE_COLUMNS} FROM messages m {clause} ORDER BY m.seq {order} LIMIT :limit"

        def op(conn: sqlite3.Connection) -> list[Message]:
            messages = [message_from_row(row) for row in conn.execute(sql, params)]
            if order == "DESC":
                messages.reverse()
            return _attach_receipts(conn, messages)

        return await self._engine.read(op)

    async def messages_for_agent(
        self, agent_id: str, subscriptions: Sequence[Subscription], since: int, limit: int
    ) -> list[Message]:
        conditions = ["m.seq IN (SELECT seq FROM message_recipients WHERE agent_id = ? AND seq > ?)"]
        params: list[Any] = [since, agent_id, agent_id, since]
        for sub in subscriptions:
            if sub.pattern == "*":
                conditions.append("(m.channel IS NOT NULL AND m.seq > ?)")
                params.append(sub.since_seq)
            elif sub.pattern.endswith("/*"):
                prefix = sub.pattern[:-1]
                conditions.append("(m.channel >= ? AND m.channel < ? AND m.seq > ?)")
                params += [prefix, prefix[:-1] + "0", sub.since_seq]  # '0' sorts right after '/'
            else:
                conditions.append("(m.channel = ? AND m.seq > ?)")
                params += [sub.pattern, sub.since_seq]
        params.append(limit)
        sql = (
            f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.seq > ? AND m.sender_id IS NOT ?"
            f" AND ({' OR '.join(conditions)}) ORDER BY m.seq LIMIT ?"
        )
        return await self._engine.read(lambda conn: [message_from_row(row) for row in conn.execute(sql, params)])

    async def delete_message(self, message_id: str, actor_id: str | None) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            run_before_commit_now(conn, "messages_fts")  # index what this transaction added before deleting
            row = conn.execute("DELETE FROM messages WHERE id = ? RETURNING channel", (message_id,)).fetchone()
            if row is None:
                return False
            if row[0] is not None:
                conn.execute("UPDATE channels SET message_count = message_count - 1 WHERE name = ?", (row[0],))
            audit(conn, actor_id, "message.deleted", "message", message_id)
            return True

        return await self._engine.write(op)

    async def mark_delivered(self, deliveries: Sequence[tuple[str, int]], at: str) -> None:
        pairs = orjson.dumps(list(deliveries)).decode()  # agent ids are the hub's own UUIDs: no NUL to cut short
        await self._engine.write(lambda conn: conn.execute(_MARK_DELIVERED, (at, pairs)))

    async def mark_read(self, agent_id: str, message_id: str, at: str) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            changed = conn.execute(
                "UPDATE message_recipients"
                " SET read_at = COALESCE(read_at, ?), delivered_at = COALESCE(delivered_at, ?)"
                " WHERE agent_id = ? AND seq = (SELECT seq FROM messages WHERE id = ?) AND read_at IS NULL",
                (at, at, agent_id, message_id),
            ).rowcount
            if changed:
                audit(conn, agent_id, "message.read", "message", message_id)
            return changed > 0

        return await self._engine.write(op)

    async def search_messages(self, text: str, limit: int, viewer_id: str | None = None) -> list[Message]:
        match = _fts_query(text)
        visible = f"AND {_VISIBLE}" if viewer_id is not None else ""
        sql = (
            f"SELECT {MESSAGE_COLUMNS} FROM messages_fts f JOIN messages m ON m.seq = f.rowid"
            f" WHERE messages_fts MATCH :match {visible} ORDER BY m.seq DESC LIMIT :limit"
        )

        def op(conn: sqlite3.Connection) -> list[Message]:
            if not match:
                return []
            rows = conn.execute(sql, {"match": match, "limit": limit, "viewer": viewer_id}).fetchall()
            return _attach_receipts(conn, [message_from_row(row) for row in reversed(rows)])

        return await self._engine.read(op)

    async def list_channels(self) -> list[Channel]:
        def op(conn: sqlite3.Connection) -> list[Channel]:
            subs = conn.execute("SELECT agent_id, pattern FROM subscriptions").fetchall()
            channels = []
            for name, count, last_seq, created in conn.execute(
                "SELECT name, message_count, last_seq, created_at FROM channels ORDER BY name"
            ):
                subscribers = len({agent_id for agent_id, pattern in subs if covers(pattern, name)})
                channels.append(
                    Channel.model_construct(
                        name=name,
                        message_count=count,
                        last_seq=last_seq,
                        subscribers=subscribers,
                        created_at=parse_iso(created),
                    )
                )
            return channels

        return await self._engine.read(op)

    async def counts(self) -> dict[str, int]:
        def op(conn: sqlite3.Connection) -> dict[str, int]:
            row = conn.execute(
                "SELECT (SELECT COUNT(*) FROM agents), (SELECT COUNT(*) FROM channels),"
                " (SELECT COUNT(*) FROM messages),"
                " (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'messages')"
            ).fetchone()
            return {"agents": row[0], "channels": row[1], "messages": row[2], "last_seq": row[3]}

        return await self._engine.read(op)

    async def prune_dedup(self, before: str) -> int:
        return await self._engine.write(
            lambda conn: conn.execute("DELETE FROM message_dedup WHERE created_at <= ?", (before,)).rowcount
        )
