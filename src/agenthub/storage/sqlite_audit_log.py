"""The audit log feature in SQLite: read it, log a decision, verify the hash chain.

The primitive every write uses to append an entry lives in `sqlite_audit` (the engine imports it);
this module only reads the chain, and appends through that primitive.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Literal

import orjson

from agenthub._time import parse_iso
from agenthub.models import AuditEntry, AuditVerification
from agenthub.storage.base import AuditQuery
from agenthub.storage.sqlite_audit import GENESIS, audit, entry_hash
from agenthub.storage.sqlite_engine import SQLiteEngine

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
        details = {"decision_type": decision_type, "context": context, "reason": reason}
        await self._engine.write(
            lambda conn: audit(conn, actor_id, "decision.logged", "decision", decision_type, details)
        )
        # The writer chains a transaction's entries just before its commit, so the entry is read back after it.
        text = orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode()
        sql = (
            f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE action = 'decision.logged' AND actor_id IS ?"
            " AND subject_id = ? AND details = ? ORDER BY id DESC LIMIT 1"
        )
        row = await self._engine.read(lambda conn: conn.execute(sql, (actor_id, decision_type, text)).fetchone())
        return entry_from_row(row)

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
