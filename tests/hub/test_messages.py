"""The hub stores a loop turn's publishes as one write, a publish the write refuses fails alone, and the dedup
window is pruned from the start."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

from agenthub.hub import Hub
from agenthub.models import Message
from agenthub.settings import HubSettings
from agenthub.storage import MessageQuery
from agenthub.storage.sqlite import SQLiteStorage
from tests.hub.helpers import rows
from tests.storage.helpers import channel_message

message = channel_message


def contents(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


def published(path: Path) -> int:
    """Audit entries of published messages: one per sender and write."""
    [(count,)] = rows(path, "SELECT count(*) FROM audit_log WHERE action = 'message.published'")
    return int(count)


async def test_a_turns_publishes_are_one_write_answered_publish_by_publish(hub: Hub, tmp_path: Path) -> None:
    first, second = hub.messages.submit([message("a1"), message("a2")], list), hub.messages.submit([message("b")], list)
    assert [contents(await first), contents(await second)] == [["a1", "a2"], ["b"]]
    assert published(tmp_path / "hub.db") == 1


async def test_a_publish_the_write_refuses_fails_alone(hub: Hub, tmp_path: Path) -> None:
    [kept] = await hub.messages.submit([message("kept")], list)
    clash = message("clashing id")
    clash.id = kept.id  # the store refuses it: message ids are unique
    before = hub.messages.submit([message("before")], list)
    failed = hub.messages.submit([clash], list)
    after = hub.messages.submit([message("after")], list)
    results = await asyncio.gather(before, failed, after, return_exceptions=True)
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert [contents(r) for r in (results[0], results[2]) if isinstance(r, list)] == [["before"], ["after"]]
    stored = await hub.storage.query_messages(MessageQuery(channel="c", since=0))
    assert contents(stored) == ["kept", "before", "after"]
    assert published(tmp_path / "hub.db") == 3  # kept; then before and after, each on its own


async def test_a_hub_prunes_the_dedup_window_as_it_starts(tmp_path: Path) -> None:
    """Pruning runs hourly, and first as the hub starts: a hub restarted more often than that still prunes."""
    settings = HubSettings(data_dir=tmp_path, dedup_window_seconds=0.05)
    first = Hub(settings, SQLiteStorage(tmp_path / "hub.db"))
    await first.start()
    await first.messages.submit([replace(message("once"), msg_id="m1", dedup_key="op")], list)
    await first.stop()
    assert _dedup_rows(tmp_path / "hub.db") == 1
    await asyncio.sleep(0.1)  # past the window
    second = Hub(settings, SQLiteStorage(tmp_path / "hub.db"))
    await second.start()
    try:
        for _ in range(200):
            if _dedup_rows(tmp_path / "hub.db") == 0:
                break
            await asyncio.sleep(0.01)
        assert _dedup_rows(tmp_path / "hub.db") == 0
    finally:
        await second.stop()


def _dedup_rows(path: Path) -> int:
    [(count,)] = rows(path, "SELECT count(*) FROM message_dedup")
    return int(count)
