"""The schema is exactly what the migrations make, and `storage/schema.sql` shows it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agenthub.storage.sqlite_engine import apply_migrations, connect, migrations
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
