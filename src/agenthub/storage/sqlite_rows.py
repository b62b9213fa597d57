"""Many rows in one statement: the writer thread's way around stepping SQLite once per row.

The writer gives up the interpreter lock inside every SQLite step, and while the event loop is busy, getting
it back can take far longer than the step itself. `executemany` steps once per row; here a write's rows are
bound to the `VALUES` list of one statement, which steps once (docs/benchmarks.md).

So that SQLite prepares few statements, a `VALUES` list comes in a few lengths only (powers of two and one
and a half times them), and the rows are padded to the next one with rows of NULLs: an insert leaves them
out with a `LIMIT`, a join matches nothing with them. Bound parameters carry any text, NUL characters
included. Measured on the hub's message rows, this costs 7 to 9 us a row, where one JSON array read with
`json_each` cost 14 to 16 (SQLite's JSON operators parse the row again for each column).
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from typing import Any

LENGTHS = tuple(sorted({1 << k for k in range(16)} | {3 << k for k in range(15)}))
"""The row counts a `VALUES` list is prepared for."""


class RowValues:
    """Rows of `width` columns as `VALUES` lists: `statement` builds the SQL around one (its text goes where
    a table would, in parentheses), and is called once per length."""

    def __init__(self, width: int, statement: Callable[[str], str]) -> None:
        self._width = width
        self._statement = statement
        self._prepared: dict[int, str] = {}
        self._padding = (None,) * width

    def batches(self, conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> Iterator[tuple[str, list[Any], int]]:
        """(statement, the rows' parameters padded with NULL rows, how many rows are real) for every run of
        rows that fits in one statement: all of them, unless they are more than SQLite lets one statement
        bind (a parameter is left for the caller)."""
        bound = (conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1) // self._width
        most = LENGTHS[bisect_right(LENGTHS, bound) - 1]
        for start in range(0, len(rows), most):
            run = rows[start : start + most]
            length = LENGTHS[bisect_left(LENGTHS, len(run))]
            params = [value for row in run for value in row]
            params.extend(self._padding * (length - len(run)))
            yield self._prepare(length), params, len(run)

    def _prepare(self, length: int) -> str:
        statement = self._prepared.get(length)
        if statement is None:
            row = "(" + ", ".join("?" * self._width) + ")"
            statement = self._prepared[length] = self._statement("VALUES " + ", ".join([row] * length))
        return statement


class RowsInsert:
    """An `INSERT` of many rows: `into` is the statement's head (`INSERT INTO t`, `INSERT OR IGNORE INTO t`),
    `columns` its column list. The rows go in the order given, so keys the table assigns follow it."""

    def __init__(self, into: str, columns: str) -> None:
        names = [name.strip() for name in columns.split(",")]
        head = f"{into} ({', '.join(names)}) SELECT * FROM "
        self._values = RowValues(len(names), lambda values: f"{head}({values}) LIMIT ?")

    def run(self, conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> None:
        for statement, params, count in self._values.batches(conn, rows):
            params.append(count)
            conn.execute(statement, params)
