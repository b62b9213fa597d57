"""When SQLite cannot do its part: a database file removed or replaced under an open storage refuses every
write from then on, none hangs, and reads go on from the file the storage opened; a full database refuses
writes with 503 until there is room again."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agenthub._ids import new_ordered_id
from agenthub._time import now_iso
from agenthub.errors import StorageUnavailable
from agenthub.storage import MessageQuery, NewAgent, sqlite_engine
from agenthub.storage.sqlite import SQLiteStorage
from tests.storage.helpers import channel_message

LONG_AGO = "2000-01-01T00:00:00Z"


message = channel_message


@pytest.fixture
async def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SQLiteStorage]:
    monkeypatch.setattr(sqlite_engine, "FILE_CHECK_SECONDS", 0.02)  # the writer looks every 20 ms, not every second
    opened = SQLiteStorage(tmp_path / "hub.db")
    await opened.open()
    await opened.append_messages([message("before")], LONG_AGO)
    try:
        yield opened
    finally:
        await opened.close()


async def noticed(storage: SQLiteStorage) -> StorageUnavailable:
    for _ in range(500):
        if (failure := storage.failure) is not None:
            return failure
        await asyncio.sleep(0.01)
    raise AssertionError("the storage did not notice in 5 s")


async def test_a_removed_file_refuses_every_write_and_reads_go_on_from_the_open_one(
    storage: SQLiteStorage, tmp_path: Path
) -> None:
    assert storage.failure is None
    for path in tmp_path.glob("hub.db*"):
        path.unlink()
    failure = await noticed(storage)
    assert (failure.status, failure.code) == (503, "storage_lost")

    # Appends made in one turn are merged into one write; refused, none of them may wait for ever, nor may the
    # next one (it must not join the refused write).
    together = [storage.append_messages([message(f"after {n}")], LONG_AGO) for n in range(3)]
    refused = await asyncio.wait_for(asyncio.gather(*together, return_exceptions=True), 5)
    assert [type(error) for error in refused] == [StorageUnavailable] * 3
    with pytest.raises(StorageUnavailable):
        await asyncio.wait_for(storage.append_messages([message("later")], LONG_AGO), 5)
    agent = NewAgent(new_ordered_id(), "late", "script", [], {}, None, "hash", now_iso())
    with pytest.raises(StorageUnavailable):  # any write, not only messages
        await asyncio.wait_for(storage.register_agent(agent), 5)

    stored = await storage.query_messages(MessageQuery(channel="c", since=0))
    assert [m.content for m in stored] == ["before"]
    assert list(tmp_path.glob("hub.db*")) == []  # no reader made a new, empty file in its place


async def test_a_replaced_file_refuses_writes_and_is_left_as_it_was_put(storage: SQLiteStorage, tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    copy = tmp_path / "restored.db"
    shutil.copyfile(path, copy)
    before = copy.read_bytes()
    os.replace(copy, path)  # as a restore from a backup would: another file at the same path
    await noticed(storage)
    with pytest.raises(StorageUnavailable) as refused:
        await asyncio.wait_for(storage.append_messages([message("after")], LONG_AGO), 5)
    assert refused.value.code == "storage_lost"
    assert path.read_bytes() == before


async def test_a_full_database_refuses_writes_until_there_is_room(
    storage: SQLiteStorage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agenthub.storage.sqlite_engine")
    engine = storage._engine  # the page limit is a setting of the writer's connection
    pages = await engine.write(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    await engine.write(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}"))
    for _ in range(2):
        with pytest.raises(StorageUnavailable) as refused:
            await storage.append_messages([message("x" * 100_000)], LONG_AGO)
        assert (refused.value.status, refused.value.code) == (503, "storage_full")
        assert refused.value.details == {"sqlite_error": "SQLITE_FULL"}
        assert refused.value.message == (
            "the disk that holds the hub's database is full: free some space (SQLite: database or disk is full);"
            " nothing of this request was stored"
        )

    await engine.write(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823"))
    await storage.append_messages([message("x" * 100_000)], LONG_AGO)
    stored = await storage.query_messages(MessageQuery(channel="c", since=0))
    assert [len(m.content) for m in stored] == [len("before"), 100_000]
    path = str(engine.path)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"writing to the database {path} failed: database or disk is full"),
        ("WARNING", f"writing to the database {path} works again after 2 failures"),
    ]
