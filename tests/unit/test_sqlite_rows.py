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
    conn.execute("INSERT INTO t (a) VALUES ('before')")
    statements.clear()
    rows = [(f"row {i}", i, None if i % 2 else 1.5) for i in range(500)]
    assert INSERT.run(conn, rows) == 501  # the last row's rowid
    assert len(statements) == 1 and "json_each" in statements[0]
    assert conn.execute("SELECT a, b, c FROM t WHERE n > 1 ORDER BY n").fetchall() == rows


def test_rows_with_a_nul_character_go_in_one_by_one_and_whole() -> None:
    conn, statements = _table()
    rows = [("a\x00b", 1, "c"), ("plain", 2, "d")]
    assert INSERT.run(conn, rows) == 2
    *inserts, last = statements
    assert len(inserts) == 2 and all(s.startswith("INSERT INTO t (a, b, c) VALUES (") for s in inserts)
    assert last == "SELECT last_insert_rowid()"
    assert conn.execute("SELECT a, b, c FROM t ORDER BY n").fetchall() == rows
