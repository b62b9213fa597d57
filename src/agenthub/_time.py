"""Time vocabulary: the hub stores and sends UTC times as ISO 8601 with a `Z`."""

from __future__ import annotations

import time
from datetime import UTC, datetime

TIMER_SLACK = 0.005
"""Seconds to add when sleeping until a stored moment: loop timers may fire early (uvloop's by up to 1 ms), and a
wake-up before the moment would find nothing lapsed yet."""

_second = -1
_second_text = ""


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def now_iso() -> str:
    """The current UTC time as stored text. On every publish, so the formatted second is reused until it changes
    (this is twice as fast as formatting a datetime)."""
    global _second, _second_text
    second, micros = divmod(time.time_ns() // 1000, 1_000_000)
    if second != _second:
        _second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second = second
    return f"{_second_text}.{micros:06d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
