"""The audit hash chain: `verify_chain` names the first entry altered, rewritten, or removed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agenthub.storage.sqlite_audit import audit, entry_hash
from agenthub.storage.sqlite_audit_log import verify_chain
from agenthub.storage.sqlite_engine import connect
from agenthub.storage.sqlite_migrations import apply_migrations


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    db = connect(tmp_path / "audit.db")
    apply_migrations(db)
    for i in range(6):
        audit(db, None if i % 2 else f"agent-{i}", "thing.done", "thing", str(i), {"n": i})
    yield db
    db.close()


def test_an_intact_chain(conn: sqlite3.Connection) -> None:
    result = verify_chain(conn)
    assert (result.ok, result.entries, result.last_id, result.first_bad_id) == (True, 6, 6, None)


def test_an_empty_chain(tmp_path: Path) -> None:
    db = connect(tmp_path / "empty.db")
    apply_migrations(db)
    assert verify_chain(db).ok
    db.close()


@pytest.mark.parametrize("column", ["at", "actor_id", "action", "subject_type", "subject_id", "details", "prev_hash"])
def test_any_edited_column_is_named(conn: sqlite3.Connection, column: str) -> None:
    conn.execute(f"UPDATE audit_log SET {column} = 'x' WHERE id = 3")
    result = verify_chain(conn)
    assert (result.ok, result.first_bad_id, result.problem, result.entries) == (False, 3, "altered", 2)


def test_an_entry_rewritten_with_its_hash_is_named(conn: sqlite3.Connection) -> None:
    prev, at, actor, subject_type, subject_id = conn.execute(
        "SELECT prev_hash, at, actor_id, subject_type, subject_id FROM audit_log WHERE id = 2"
    ).fetchone()
    forged = entry_hash(prev, at, actor, "thing.undone", (subject_type, subject_id), "{}")
    conn.execute("UPDATE audit_log SET action = 'thing.undone', details = '{}', hash = ? WHERE id = 2", (forged,))
    result = verify_chain(conn)
    assert (result.first_bad_id, result.problem) == (2, "altered")


@pytest.mark.parametrize("removed", [1, 4, 6])
def test_a_removed_entry_is_named(conn: sqlite3.Connection, removed: int) -> None:
    conn.execute("DELETE FROM audit_log WHERE id = ?", (removed,))
    result = verify_chain(conn)
    assert (result.ok, result.first_bad_id, result.problem, result.entries) == (False, removed, "removed", removed - 1)
