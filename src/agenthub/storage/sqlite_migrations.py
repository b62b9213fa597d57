"""The SQLite schema's migrations: the SQL files in `storage/migrations`, applied in order, each recorded in
`schema_migrations`; `storage/schema.sql` is what they make together (`make schema`)."""

from __future__ import annotations

import sqlite3
from importlib import resources

from agenthub.errors import StorageUnavailable


def migrations() -> list[tuple[int, str, str]]:
    """The SQL migrations shipped in `storage/migrations`, as (version, name, sql), in order."""
    found = []
    for entry in resources.files("agenthub.storage.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append((int(version), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found)


def refuse_newer(conn: sqlite3.Connection) -> None:
    """Refuse a database that a newer agenthub has migrated past the migrations this one ships: run on it,
    this one would read and write tables it does not know as they are."""
    try:
        newest = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    except sqlite3.OperationalError:  # no such table: a database no hub has opened yet
        return
    known = migrations()[-1][0]
    if newest is not None and newest > known:
        raise StorageUnavailable(
            f"the database was made by a newer agenthub (its schema is at version {newest}; this agenthub knows"
            f" up to {known}): upgrade agenthub, or give this one another --data-dir",
            code="storage_too_new",
        )


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    """Apply every migration not yet recorded in `schema_migrations`; returns the versions applied. A database
    from a newer agenthub is refused (`refuse_newer`)."""
    refuse_newer(conn)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
                (version, name),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements, keeping `CREATE TRIGGER ... END;` bodies whole."""
    statements: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not current.strip():
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
