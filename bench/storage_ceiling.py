"""The storage ceiling: message rows a second that SQLite takes into the hub's own schema when nothing else
runs, so the durable publish figures also read as a fraction of what the storage allows.

One thread, the hub's connection settings (WAL, `synchronous=FULL`) and migrations, the hub's insert and
search-index statements, `batch` rows per commit. The rows are built before each commit starts, and only the
statements and the commit are timed: no validation, no acknowledgement, no event loop.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from agenthub._ids import new_ordered_id
from agenthub._time import now_iso
from agenthub.storage.sqlite_engine import apply_migrations, connect
from agenthub.storage.sqlite_messages import INDEX_FOR_SEARCH, INSERT_MESSAGES
from agenthub.storage.sqlite_rows import json_parameter


def message_rows_per_second(batch: int, duration: float) -> float:
    with tempfile.TemporaryDirectory() as data:
        conn = connect(Path(data) / "ceiling.db")
        apply_migrations(conn)
        stored = 0
        busy = 0.0
        stop_at = time.monotonic() + duration
        while time.monotonic() < stop_at:
            created_at = now_iso()
            row = ("bench", "sender", "[]", None, None, None, "x" * 64, "text", "{}", None, created_at)
            rows = json_parameter([(new_ordered_id(), *row) for _ in range(batch)])
            assert rows is not None
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT_MESSAGES.all_at_once, (rows,))
            conn.execute(INDEX_FOR_SEARCH, (stored + 1,))
            conn.execute("COMMIT")
            busy += time.perf_counter() - started
            stored += batch
        conn.close()
    return stored / busy
