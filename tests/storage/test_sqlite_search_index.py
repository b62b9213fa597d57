"""The SQLite full-text index is filled once per commit; it must stay exactly in step with the messages table."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from agenthub.storage.sqlite import SQLiteStorage
from tests.storage.helpers import channel_message

message = channel_message


async def test_index_passes_sqlites_integrity_check_after_mixed_commits(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "hub.db")
    await storage.open()
    try:
        stored = await storage.append_messages([message(f"first word{i}") for i in range(3)], "")
        writes = [storage.append_messages([message(f"second word{i}")], "") for i in range(20)]
        writes += [storage.delete_message(stored[1].id, None), storage.delete_message(stored[2].id, None)]
        results = await asyncio.gather(*writes)
        batch = await storage.append_messages([message("gone soon"), message("stays")], "")
        await asyncio.gather(storage.delete_message(batch[0].id, None), storage.append_messages([message("x")], ""))
        assert [m.id for m in await storage.search_messages("first", 50)] == [stored[0].id]
        assert len(await storage.search_messages("second", 50)) == 20 == len(results) - 2
        short_lived = message("short lived")  # stored and deleted in the same commit, most runs
        await asyncio.gather(storage.append_messages([short_lived], ""), storage.delete_message(short_lived.id, None))
        assert await storage.search_messages("soon", 50) == await storage.search_messages("lived", 50) == []
    finally:
        await storage.close()
    with sqlite3.connect(tmp_path / "hub.db") as conn:
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
        indexed = conn.execute("SELECT COUNT(*) FROM messages_fts").fetchone()[0]
        assert indexed == conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 21 + 1 + 1
    conn.close()
