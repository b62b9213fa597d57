"""The audit log in SQLite: the primitive every write uses (append an entry to the hash chain inside the
caller's transaction), and the feature around it (read, log a decision, verify the chain).

Because all writes run on the one writer thread, the chain has a single tail and entries are never interleaved.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from typing import Any, Literal

import orjson

from agenthub._time import now_iso, parse_iso
from agenthub.models import AuditEntry, AuditVerification
from agenthub.storage.base import AuditQuery
from agenthub.storage.sqlite_engine import SQLiteEngine

GENESIS = "0" * 64


def entry_hash(
    prev_hash: str, at: str, actor_id: str | None, action: str, subject: tuple[str, str | None], details: str
) -> str:
    """SHA-256 over the previous hash and the entry's canonical content."""
    canonical = orjson.dumps([prev_hash, at, actor_id, action, subject[0], subject[1], details])
    return hashlib.sha256(canonical).hexdigest()


AuditEntry = tuple[str, str | None, str, str, str | None, str]  # at, actor, action, subject type, subject id, details


def audit(
    conn: sqlite3.Connection,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry (actor None = the operator) in the current transaction.

    On the engine's writer connection the entry waits in `conn.audit_pending` and the whole transaction's
    entries are chained and inserted together just before its commit; elsewhere it is written at once."""
    text = orjson.dumps(details or {}, option=orjson.OPT_SORT_KEYS).decode()
    entry: AuditEntry = (now_iso(), actor_id, action, subject_type, subject_id, text)
    pending: list[AuditEntry] | None = getattr(conn, "audit_pending", None)
    if pending is None:
        append_audit(conn, [entry])
    else:
        pending.append(entry)


def append_audit(conn: sqlite3.Connection, entries: list[AuditEntry]) -> None:
    """Chain entries onto the log's tail and insert them in one statement."""
    row = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = row[0] if row else GENESIS
    rows = []
    for at, actor_id, action, subject_type, subject_id, text in entries:
        digest = entry_hash(prev_hash, at, actor_id, action, (subject_type, subject_id), text)
        rows.append((at, actor_id, action, subject_type, subject_id, text, prev_hash, digest))
        prev_hash = digest
    conn.executemany(
        "INSERT INTO audit_log (at, actor_id, action, subject_type, subject_id, details, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


# -- the audit feature: reading, logging decisions, verifying the chain -----------------------------------------

AUDIT_COLUMNS = "id, at, actor_id, action, subject_type, subject_id, details, prev_hash, hash"


def entry_from_row(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry.model_construct(
        id=row[0],
        at=parse_iso(row[1]),
        actor_id=row[2],
        action=row[3],
        subject_type=row[4],
        subject_id=row[5],
        details=orjson.loads(row[6]),
        prev_hash=row[7],
        hash=row[8],
    )


def verify_chain(conn: sqlite3.Connection) -> AuditVerification:
    """Walk the chain from the first entry and name the first one that was altered or removed.

    Each entry's hash must match its content and the previous entry's hash, and ids must run 1, 2, 3, ...
    with none missing; the highest id ever issued (`sqlite_sequence`) shows entries removed from the end.
    An entry whose own hash checks out but whose successor no longer links to it was rewritten whole
    (content and hash): it is named as altered.
    """
    expected_id = 1
    prev = GENESIS
    count = 0
    for row in conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"):
        entry_id, at, actor_id, action, subject_type, subject_id, details, prev_hash, digest = row
        if entry_id != expected_id:
            return _broken(count, expected_id, "removed")
        if entry_hash(prev_hash, at, actor_id, action, (subject_type, subject_id), details) != digest:
            return _broken(count, entry_id, "altered")
        if prev_hash != prev:  # this entry is whole, so the one before it was rewritten (content and hash)
            return _broken(count - 1, entry_id - 1, "altered") if entry_id > 1 else _broken(0, 1, "altered")
        prev = digest
        expected_id += 1
        count += 1
    last_id = expected_id - 1
    issued = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    if issued is not None and int(issued[0]) > last_id:
        return _broken(count, last_id + 1, "removed")
    return AuditVerification(ok=True, entries=count, last_id=last_id, message=f"all {count} entries are intact")


def _broken(count: int, bad_id: int, problem: Literal["altered", "removed"]) -> AuditVerification:
    what = "was altered" if problem == "altered" else "was removed"
    return AuditVerification(
        ok=False,
        entries=count,
        last_id=bad_id - 1,
        first_bad_id=bad_id,
        problem=problem,
        message=f"audit entry {bad_id} {what}; the {count} entries before it are intact",
    )


class SQLiteAuditLog:
    _engine: SQLiteEngine

    async def log_decision(self, actor_id: str | None, decision_type: str, context: str, reason: str) -> AuditEntry:
        def op(conn: sqlite3.Connection) -> AuditEntry:
            details = {"decision_type": decision_type, "context": context, "reason": reason}
            audit(conn, actor_id, "decision.logged", "decision", decision_type, details)
            row = conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            return entry_from_row(row)

        return await self._engine.write(op)

    async def query_audit(self, query: AuditQuery) -> list[AuditEntry]:
        where: list[str] = []
        params: dict[str, Any] = {"limit": query.limit}
        if query.actor_id is not None:
            where.append("actor_id = :actor_id")
            params["actor_id"] = query.actor_id
        if query.action is not None:
            where.append("action = :action")
            params["action"] = query.action
        if query.since is not None:
            where.append("at >= :since")
            params["since"] = query.since
        if query.after is not None:
            where.append("id > :after")
            params["after"] = query.after
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = "ASC" if query.after is not None else "DESC"
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit_log {clause} ORDER BY id {order} LIMIT :limit"

        def op(conn: sqlite3.Connection) -> list[AuditEntry]:
            entries = [entry_from_row(row) for row in conn.execute(sql, params)]
            if order == "DESC":
                entries.reverse()
            return entries

        return await self._engine.read(op)

    async def verify_audit(self) -> AuditVerification:
        return await self._engine.read(verify_chain)
