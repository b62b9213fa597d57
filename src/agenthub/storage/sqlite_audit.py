"""The audit primitive every SQLite write uses: append an entry to the hash chain inside the caller's transaction.

Because all writes run on the one writer thread, the chain has a single tail and entries are never interleaved.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

import orjson

from agenthub._time import now_iso
from agenthub.storage.sqlite_rows import RowsInsert

GENESIS = "0" * 64


def entry_hash(
    prev_hash: str, at: str, actor_id: str | None, action: str, subject: tuple[str, str | None], details: str
) -> str:
    """SHA-256 over the previous hash and the entry's canonical content."""
    canonical = orjson.dumps([prev_hash, at, actor_id, action, subject[0], subject[1], details])
    return hashlib.sha256(canonical).hexdigest()


_INSERT_ENTRIES = RowsInsert(
    "INSERT INTO audit_log", "at, actor_id, action, subject_type, subject_id, details, prev_hash, hash"
)

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
    """Chain entries onto the log's tail and insert them, in order, with one statement."""
    row = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = row[0] if row else GENESIS
    rows = []
    for at, actor_id, action, subject_type, subject_id, text in entries:
        digest = entry_hash(prev_hash, at, actor_id, action, (subject_type, subject_id), text)
        rows.append((at, actor_id, action, subject_type, subject_id, text, prev_hash, digest))
        prev_hash = digest
    _INSERT_ENTRIES.run(conn, rows)
