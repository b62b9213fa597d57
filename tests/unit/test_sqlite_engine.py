"""The writer's group commit: one failing write fails alone, and its audit entries go with it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from agenthub.storage.sqlite_audit import GENESIS, audit, entry_hash
from agenthub.storage.sqlite_engine import SQLiteEngine
from agenthub.storage.sqlite_file import storage_fault


def _insert(name: str, fail: bool = False):  # type: ignore[no-untyped-def]
    def op(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO channels (name, created_at) VALUES (?, 'now')", (name,))
        audit(conn, None, "test.write", "channel", name)
        if fail:
            raise ValueError(f"{name} refused")
        return name

    return op


async def test_a_failing_write_fails_alone_in_its_batch(tmp_path: Path) -> None:
    engine = SQLiteEngine(tmp_path / "db.sqlite")
    engine.start()
    futures = [engine.submit(_insert(f"c{i}", fail=i == 3)) for i in range(8)]  # queued together: one batch
    results = await asyncio.gather(*futures, return_exceptions=True)
    await engine.close()

    assert [r if isinstance(r, str) else type(r).__name__ for r in results] == [
        "c0", "c1", "c2", "ValueError", "c4", "c5", "c6", "c7"
    ]  # fmt: skip
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        assert [r[0] for r in db.execute("SELECT name FROM channels ORDER BY name")] == [
            "c0", "c1", "c2", "c4", "c5", "c6", "c7"
        ]  # fmt: skip
        rows = db.execute(
            "SELECT at, actor_id, action, subject_type, subject_id, details, prev_hash, hash FROM audit_log"
        )
        prev = GENESIS
        subjects = []
        for at, actor, action, subject_type, subject_id, details, prev_hash, digest in rows:
            assert prev_hash == prev
            assert digest == entry_hash(prev_hash, at, actor, action, (subject_type, subject_id), details)
            prev = digest
            subjects.append(subject_id)
    assert subjects == ["c0", "c1", "c2", "c4", "c5", "c6", "c7"]


async def test_on_commit_runs_in_commit_order_before_callers_resume(tmp_path: Path) -> None:
    engine = SQLiteEngine(tmp_path / "db.sqlite")
    engine.start()
    seen: list[str] = []
    futures = [engine.submit(_insert(f"o{i}"), seen.append) for i in range(20)]
    first = await futures[0]
    assert first == "o0" and seen == [f"o{i}" for i in range(len(seen))] and len(seen) >= 1
    await asyncio.gather(*futures)
    assert seen == [f"o{i}" for i in range(20)]
    await engine.close()
    with pytest.raises(RuntimeError):
        engine.submit(_insert("late"))


def _counted(runs: list[str], name: str, op):  # type: ignore[no-untyped-def]
    def counting(conn: sqlite3.Connection) -> str:
        runs.append(name)
        return op(conn)  # type: ignore[no-any-return]

    return counting


def _refuse(name: str):  # type: ignore[no-untyped-def]
    """A write that reads, then refuses before it changes anything (as a lost compare-and-set does)."""

    def op(conn: sqlite3.Connection) -> str:
        conn.execute("SELECT count(*) FROM channels").fetchone()
        audit(conn, None, "test.refused", "channel", name)
        raise ValueError(f"{name} refused")

    return op


def _stored(path: Path) -> tuple[list[str], list[str]]:
    """The channels and the audit log's subjects, in order."""
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM channels ORDER BY name")]
        subjects = [r[0] for r in db.execute("SELECT subject_id FROM audit_log ORDER BY id")]
    db.close()
    return names, subjects


async def test_an_isolated_refusal_does_not_redo_its_batch(tmp_path: Path) -> None:
    engine = SQLiteEngine(tmp_path / "db.sqlite")
    engine.start()
    runs: list[str] = []
    ops = [_insert("i0"), _refuse("i1"), _insert("i2"), _insert("i3")]
    futures = [engine.submit(_counted(runs, f"i{i}", op), isolated=i == 1) for i, op in enumerate(ops)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    await engine.close()
    assert [type(r).__name__ if isinstance(r, Exception) else r for r in results] == ["i0", "ValueError", "i2", "i3"]
    assert sorted(runs) == ["i0", "i1", "i2", "i3"]  # each ran once: no redo of the batch
    assert _stored(tmp_path / "db.sqlite") == (["i0", "i2", "i3"], ["i0", "i2", "i3"])  # not i1's audit entry


async def test_an_isolated_write_that_changed_rows_before_refusing_fails_alone(tmp_path: Path) -> None:
    engine = SQLiteEngine(tmp_path / "db.sqlite")
    engine.start()
    runs: list[str] = []
    ops = [_insert("i0"), _insert("i1", fail=True), _insert("i2")]
    futures = [engine.submit(_counted(runs, f"i{i}", op), isolated=i == 1) for i, op in enumerate(ops)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    await engine.close()
    assert [type(r).__name__ if isinstance(r, Exception) else r for r in results] == ["i0", "ValueError", "i2"]
    assert runs.count("i1") == 2  # its channel row was in the transaction: the batch was redone
    assert _stored(tmp_path / "db.sqlite") == (["i0", "i2"], ["i0", "i2"])


async def test_an_isolated_write_whose_error_ended_the_transaction_leaves_nothing_half_done(tmp_path: Path) -> None:
    """SQLite itself rolls back on some errors (a full disk, I/O, memory): nothing after it may run outside the
    transaction and be committed on its own."""

    def rollback_then_refuse(conn: sqlite3.Connection) -> str:
        conn.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL
        raise ValueError("refused after the transaction ended")

    engine = SQLiteEngine(tmp_path / "db.sqlite")
    engine.start()
    ops = [_insert("e0"), rollback_then_refuse, _insert("e2")]
    futures = [engine.submit(op, isolated=i == 1) for i, op in enumerate(ops)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    await engine.close()
    assert all(isinstance(r, Exception) for r in results)
    assert _stored(tmp_path / "db.sqlite") == ([], [])


def test_only_the_databases_own_failures_are_answered_503(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError) as cannot_open:
        sqlite3.connect(tmp_path / "no such dir" / "db.sqlite")
    fault = storage_fault(cannot_open.value, write=False)
    assert fault is not None and (fault.status, fault.code) == (503, "storage_error")
    assert fault.message == "the hub's database file cannot be opened (SQLite: unable to open database file)"
    assert fault.details == {"sqlite_error": "SQLITE_CANTOPEN"}

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as duplicate:
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as bad_sql:
        conn.execute("SELECT nothing FROM t")
    conn.close()
    assert storage_fault(duplicate.value, write=True) is None  # the request's own doing: not the database's
    assert storage_fault(bad_sql.value, write=True) is None
    assert storage_fault(ValueError("no"), write=True) is None
