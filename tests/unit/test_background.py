from __future__ import annotations

import asyncio
import logging

import pytest

from agenthub.errors import StorageUnavailable
from agenthub.hub.background import REPEAT_LOG_EVERY, FailureLog, Repeating


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, bool]]:
    return [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]


def test_a_pass_that_keeps_failing_is_logged_in_full_once_then_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agenthub.hub.background")
    clock = Clock()
    failures = FailureLog("the sweep", clock)
    for _ in range(100):  # a pass a second for 100 s: one traceback, then one line a minute
        failures.failed(OSError("unable to open database file"))
        clock.now += 1.0
    failures.passed()
    failures.passed()
    failures.failed(ValueError("again"))
    assert _lines(caplog) == [
        ("ERROR", "the sweep failed", True),
        (
            "ERROR",
            "the sweep still failing: 60 more times since the last report, now with OSError: "
            "unable to open database file",
            False,
        ),
        ("WARNING", "the sweep works again after 100 failed passes", False),
        ("ERROR", "the sweep failed", True),
    ]
    assert REPEAT_LOG_EVERY == 60.0


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
    assert _lines(caplog) == [("ERROR", "the broken pass failed", True)]


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
    assert _lines(caplog) == []  # the storage said why, once: no traceback, no "works again" each other pass
