from __future__ import annotations

import asyncio
import logging

import pytest

from agenthub.errors import StorageUnavailable
from agenthub.hub.background import Repeating


async def test_every_pass_runs_each_round_though_one_fails(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agenthub.hub.background")
    rounds = 0
    enough = asyncio.Event()

    async def broken() -> None:
        raise RuntimeError("no disk")

    async def counted() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 5:
            enough.set()

    repeating = Repeating(0.001, {"the broken pass": broken, "the counted pass": counted})
    repeating.start()
    await asyncio.wait_for(enough.wait(), 10)
    await repeating.stop()
    stopped_at = rounds
    await asyncio.sleep(0.05)
    assert rounds == stopped_at >= 5  # it stops with the hub
    assert [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records] == [
        ("ERROR", "the broken pass failed", True)
    ]


async def test_a_pass_refused_for_lost_storage_is_not_logged_again(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agenthub.hub.background")
    rounds = 0
    enough = asyncio.Event()

    async def sometimes_refused() -> None:  # a sweep that writes only when it found something
        nonlocal rounds
        rounds += 1
        if rounds == 6:
            enough.set()
        if rounds % 2:
            raise StorageUnavailable(code="storage_lost")

    repeating = Repeating(0.001, {"the sweep": sometimes_refused})
    repeating.start()
    await asyncio.wait_for(enough.wait(), 10)
    await repeating.stop()
    assert caplog.records == []  # the storage said why, once: no traceback, no "works again" each other pass
