"""Many rows, one statement: what `RowsInsert` sends to SQLite, and that the rows come back whole."""

from __future__ import annotations

import sqlite3

from agenthub.storage.sqlite_rows import LENGTHS, RowsInsert, RowValues

INSERT = RowsInsert("INSERT INTO t", "a, b, c")


def _table() -> tuple[sqlite3.Connection, list[str]]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b, c)")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    return conn, statements


def _stored(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT a, b, c FROM t ORDER BY n").fetchall()


def test_many_rows_go_in_with_one_statement_in_the_order_given() -> None:
    conn, statements = _table()
    rows = [(f"row {i}", i, None if i % 2 else 1.5) for i in range(500)]
    INSERT.run(conn, rows)
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO t (a, b, c) SELECT * FROM (VALUES (")
    assert _stored(conn) == rows  # the NULL rows that pad the VALUES list to 512 are left out


def test_text_with_a_nul_character_goes_in_whole() -> None:
    conn, statements = _table()
    rows = [("a\x00b", 1, "c\x00"), ("plain", 2, "d")]
    INSERT.run(conn, rows)
    assert len(statements) == 1
    assert _stored(conn) == rows


def test_any_number_of_rows_goes_in_whole_with_a_few_statement_shapes() -> None:
    conn, statements = _table()
    expected = []
    for count in range(1, 101):
        rows = [(f"{count}.{i}", count, i) for i in range(count)]
        INSERT.run(conn, rows)
        expected += rows
    assert len(statements) == 100
    assert _stored(conn) == expected
    values = RowValues(3, lambda values: values)
    shapes = {statement for count in range(1, 101) for statement, _, _ in values.batches(conn, [(1, 2, 3)] * count)}
    assert len(shapes) == len([n for n in LENGTHS if n <= 128]) == 14


def test_rows_beyond_what_one_statement_may_bind_go_in_several() -> None:
    conn, statements = _table()
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)  # 33 rows of three, and the LIMIT: runs of 32
    rows = [(f"row {i}", i, i) for i in range(70)]
    INSERT.run(conn, rows)
    assert len(statements) == 3
    assert _stored(conn) == rows


def test_padding_rows_match_nothing_in_a_join() -> None:
    conn, _ = _table()
    INSERT.run(conn, [("x", 1, None), ("y", 2, None)])
    lookup = RowValues(1, lambda values: f"SELECT t.a FROM ({values}) AS p JOIN t ON t.b = p.column1")
    [(statement, params, count)] = list(lookup.batches(conn, [(2,), (1,), (7,), (9,), (1,)]))
    assert (count, params) == (5, [2, 1, 7, 9, 1, None])  # padded to six rows
    assert sorted(conn.execute(statement, params).fetchall()) == [("x",), ("x",), ("y",)]
