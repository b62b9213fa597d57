"""The writer's group commit: one failing write fails alone, and its audit entries go with it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from agenthub.storage.sqlite_audit import GENESIS, audit, entry_hash
from agenthub.storage.sqlite_engine import SQLiteEngine


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


async def test_an_isolated_refusal_does_not_redo_its_batch(tmp_path: Path) -> None:
    engine = SQLiteEngine(tmp_path / "db.sqlite")
    engine.start()
    runs: list[str] = []

    def counted(name: str, fail: bool = False):  # type: ignore[no-untyped-def]
        inner = _insert(name, fail)

        def op(conn: sqlite3.Connection) -> str:
            runs.append(name)
            return inner(conn)  # type: ignore[no-any-return]

        return op

    futures = [engine.submit(counted(f"i{i}", fail=i == 1), isolated=i == 1) for i in range(4)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    await engine.close()
    assert [type(r).__name__ if isinstance(r, Exception) else r for r in results] == ["i0", "ValueError", "i2", "i3"]
    assert sorted(runs) == ["i0", "i1", "i2", "i3"]  # each ran once: no redo of the batch
