"""What the hub logs of something that keeps failing (`agenthub/_failure_log.py`)."""

from __future__ import annotations

import logging

import pytest

from agenthub._failure_log import REPEAT_LOG_EVERY, FailureLog

LOG = logging.getLogger("agenthub.test")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, bool]]:
    return [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]


def test_a_pass_that_keeps_failing_is_logged_in_full_once_then_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOG.name)
    clock = Clock()
    failures = FailureLog("the sweep", LOG, clock)
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
        ("WARNING", "the sweep works again after 100 failures", False),
        ("ERROR", "the sweep failed", True),
    ]
    assert REPEAT_LOG_EVERY == 60.0


def test_an_error_that_explains_itself_is_logged_without_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOG.name)
    clock = Clock()
    failures = FailureLog("writing to the database", LOG, clock, traceback=False)
    failures.failed(OSError("disk I/O error"))
    failures.failed(OSError("disk I/O error"))
    failures.passed()
    assert _lines(caplog) == [
        ("ERROR", "writing to the database failed: disk I/O error", False),
        ("WARNING", "writing to the database works again after 2 failures", False),
    ]
