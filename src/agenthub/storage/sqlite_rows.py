"""Many rows in one statement: the writer thread's way around stepping SQLite once per row.

The writer gives up the interpreter lock inside every SQLite step, and while the event loop is busy, getting
it back can take far longer than the step itself. `executemany` steps once per row; a `RowsInsert` takes all
the rows as one JSON array (`json_each`) and steps once. Measured with a thread that keeps the lock busy, a
batch of 100 messages took 2.3 ms a message one row at a time and 0.15 ms in one statement
(docs/benchmarks.md).

SQLite's JSON functions end a string at a NUL character, so rows with one in a string go in one by one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

_NUL = b"\\u0000"


def json_parameter(rows: Sequence[Sequence[Any]]) -> str | None:
    """`rows` as one JSON array for `json_each(?)`; None when a string in them holds a NUL character (or
    the text `\\u0000`), which SQLite would cut short."""
    text = orjson.dumps(rows)
    return None if _NUL in text else text.decode()


class RowsInsert:
    """An `INSERT` of many rows: `into` is the statement's head (`INSERT INTO t`, `INSERT OR IGNORE INTO t`),
    `columns` its column list. The rows go in the order given, so keys the table assigns follow it."""

    def __init__(self, into: str, columns: str) -> None:
        names = [name.strip() for name in columns.split(",")]
        listed = ", ".join(names)
        self.all_at_once = (
            f"{into} ({listed}) SELECT {', '.join(f'value ->> {i}' for i in range(len(names)))}"
            " FROM json_each(?) ORDER BY key"
        )
        """The statement, whose one parameter is `json_parameter(rows)`."""
        self.one_by_one = f"{into} ({listed}) VALUES ({', '.join('?' * len(names))})"

    def run(self, conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> int:
        """Insert `rows`; returns the rowid of the last one inserted (SQLite's `last_insert_rowid`)."""
        text = json_parameter(rows)
        if text is not None:
            last = conn.execute(self.all_at_once, (text,)).lastrowid
        else:
            conn.executemany(self.one_by_one, rows)  # `executemany` leaves `lastrowid` unset: ask
            last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
        assert isinstance(last, int), "an INSERT always reports the last rowid"
        return last
