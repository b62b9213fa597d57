"""Many rows, one statement: what `RowsInsert` sends to SQLite, and that the rows come back whole."""

from __future__ import annotations

import sqlite3

from agenthub.storage.sqlite_rows import RowsInsert

INSERT = RowsInsert("INSERT INTO t", "a, b, c")


def _table() -> tuple[sqlite3.Connection, list[str]]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b, c)")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    return conn, statements


def test_many_rows_go_in_with_one_statement_in_the_order_given() -> None:
    conn, statements = _table()
    rows = [(f"row {i}", i, None if i % 2 else 1.5) for i in range(500)]
    INSERT.run(conn, rows)
    assert len(statements) == 1 and "json_each" in statements[0]
    assert conn.execute("SELECT a, b, c FROM t ORDER BY n").fetchall() == rows


def test_rows_with_a_nul_character_go_in_one_by_one_and_whole() -> None:
    conn, statements = _table()
    rows = [("a\x00b", 1, "c"), ("plain", 2, "d")]
    INSERT.run(conn, rows)
    assert len(statements) == 2 and all(s.startswith("INSERT INTO t (a, b, c) VALUES (") for s in statements)
    assert conn.execute("SELECT a, b, c FROM t ORDER BY n").fetchall() == rows
