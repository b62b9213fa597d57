"""Appends queued while the SQLite writer is busy are stored as one write, and a failing one fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from agenthub.models import Message
from agenthub.storage import MessageQuery
from agenthub.storage.sqlite import SQLiteStorage
from tests.storage.helpers import channel_message

message = partial(channel_message, sender="alice")


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    opened = SQLiteStorage(tmp_path / "hub.db")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def while_the_writer_is_busy(storage: SQLiteStorage, *writes: asyncio.Future[list[Message]]) -> list[object]:
    """Queue `writes` behind a write that holds the writer until they are all queued, then await them."""
    release = threading.Event()
    busy = storage._engine.submit(lambda conn: release.wait(10))
    gathered = asyncio.gather(*writes, return_exceptions=True)
    await asyncio.sleep(0.05)  # every append has reached the queue
    release.set()
    await busy
    return list(await gathered)


def published(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT actor_id, details FROM audit_log WHERE action = 'message.published' ORDER BY id")
        found = [(actor, details) for actor, details in rows]
    conn.close()
    return found


async def test_appends_queued_together_are_one_write_answered_append_by_append(
    storage: SQLiteStorage, tmp_path: Path
) -> None:
    committed: list[list[str]] = []

    def on_commit(stored: list[Message]) -> None:
        committed.append([m.content for m in stored])

    def append(*contents: str) -> asyncio.Future[list[Message]]:
        return asyncio.ensure_future(storage.append_messages([message(c) for c in contents], "", on_commit))

    first, second, third = await while_the_writer_is_busy(storage, append("a1", "a2"), append("b1"), append("c1"))
    assert isinstance(first, list) and isinstance(second, list) and isinstance(third, list)
    assert [[m.content for m in r] for r in (first, second, third)] == [["a1", "a2"], ["b1"], ["c1"]]
    assert [m.seq for m in first + second + third] == list(range(first[0].seq, first[0].seq + 4))
    assert committed == [["a1", "a2"], ["b1"], ["c1"]]  # on_commit of each append, in order
    assert len(published(tmp_path / "hub.db")) == 1  # one write: one audit entry for the sender


async def test_a_failing_append_fails_alone_when_merged(storage: SQLiteStorage, tmp_path: Path) -> None:
    [kept] = await storage.append_messages([message("kept")], "")
    clash = message("clashing id")
    clash.id = kept.id
    results = await while_the_writer_is_busy(
        storage,
        asyncio.ensure_future(storage.append_messages([message("before")], "")),
        asyncio.ensure_future(storage.append_messages([clash], "")),
        asyncio.ensure_future(storage.append_messages([message("after")], "")),
    )
    before, failed, after = results
    assert isinstance(failed, sqlite3.IntegrityError)
    assert isinstance(before, list) and isinstance(after, list)
    assert (before[0].content, after[0].content, after[0].seq > before[0].seq) == ("before", "after", True)
    stored = await storage.query_messages(MessageQuery(channel="c", since=0))
    assert [m.content for m in stored] == ["kept", "before", "after"]
    assert len(published(tmp_path / "hub.db")) == 3  # kept, before, after: the failed one left no entry


async def test_a_broken_on_commit_leaves_the_other_appends_callbacks(storage: SQLiteStorage) -> None:
    committed: list[str] = []

    def broken(stored: list[Message]) -> None:
        raise RuntimeError("broken callback")

    def record(stored: list[Message]) -> None:
        committed.extend(m.content for m in stored)

    results = await while_the_writer_is_busy(
        storage,
        asyncio.ensure_future(storage.append_messages([message("first")], "", broken)),
        asyncio.ensure_future(storage.append_messages([message("second")], "", record)),
    )
    assert [[m.content for m in r] for r in results if isinstance(r, list)] == [["first"], ["second"]]
    assert committed == ["second"]
