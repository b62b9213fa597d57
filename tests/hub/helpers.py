"""Helpers of the in-process hub tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """What `sql` reads from the hub's SQLite file, on a connection of its own (closed again)."""
    with sqlite3.connect(path) as conn:
        found = conn.execute(sql).fetchall()
    conn.close()
    return found
