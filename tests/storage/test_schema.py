"""The schema is exactly what the migrations make, and `storage/schema.sql` shows it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agenthub.errors import StorageUnavailable
from agenthub.storage.sqlite_engine import connect
from agenthub.storage.sqlite_migrations import apply_migrations, migrations
from agenthub.storage.sqlite_schema import SCHEMA_FILE, dump_schema, migrated_schema


def test_schema_sql_equals_every_migration_applied(tmp_path: Path) -> None:
    conn = connect(tmp_path / "fresh.db")  # the hub's own connection settings, on a file
    try:
        applied = apply_migrations(conn)
        assert applied == [version for version, _, _ in migrations()]
        schema = dump_schema(conn)
    finally:
        conn.close()
    assert schema == migrated_schema()
    assert schema == SCHEMA_FILE.read_text(), "storage/schema.sql is stale: run `make schema`"


def test_applying_migrations_twice_is_a_no_op(tmp_path: Path) -> None:
    conn = connect(tmp_path / "twice.db")
    try:
        apply_migrations(conn)
        schema = dump_schema(conn)
        recorded = conn.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").fetchall()
        assert apply_migrations(conn) == []
        assert dump_schema(conn) == schema
        assert conn.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").fetchall() == (
            recorded
        )
    finally:
        conn.close()
    reopened = sqlite3.connect(tmp_path / "twice.db", isolation_level=None)
    try:
        assert apply_migrations(reopened) == []
        assert dump_schema(reopened) == schema
    finally:
        reopened.close()


def test_migrations_have_unique_increasing_numbers() -> None:
    """Numbers are handed out per feature branch, so gaps are allowed until every branch has landed."""
    found = migrations()
    versions = [version for version, _, _ in found]
    assert versions == sorted(set(versions)) and versions[0] == 1
    assert all(name and name.replace("_", "").isalnum() for _, name, _ in found)


def test_a_database_from_a_newer_agenthub_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    conn = connect(tmp_path / "newer.db")
    try:
        apply_migrations(conn)
        newest = migrations()[-1][0]
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, 'from the future', '2030-01-01T00:00:00Z')", (newest + 1,)
        )
        with pytest.raises(StorageUnavailable) as refused:
            apply_migrations(conn)
        assert refused.value.code == "storage_too_new"
        assert refused.value.message == (
            f"the database was made by a newer agenthub (its schema is at version {newest + 1}; this agenthub knows"
            f" up to {newest}): upgrade agenthub, or give this one another --data-dir"
        )
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (newest + 1,)
    finally:
        conn.close()
