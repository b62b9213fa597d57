from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from agenthub._time import now_iso, parse_iso, to_iso, utcnow

STORED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_now_is_stored_in_the_same_form_as_any_moment() -> None:
    before = utcnow()
    text = now_iso()
    after = utcnow()
    assert STORED.match(text)
    assert before - timedelta(milliseconds=1) <= parse_iso(text) <= after + timedelta(milliseconds=1)


def test_now_stays_in_order_across_second_boundaries() -> None:
    texts = [now_iso() for _ in range(200_000)]
    assert texts == sorted(texts)


def test_to_iso_converts_to_utc_with_microseconds() -> None:
    moment = datetime(2026, 11, 21, 18, 30, 5, 7, tzinfo=timezone(timedelta(hours=2)))
    assert to_iso(moment) == "2026-11-21T16:30:05.000007Z"
    assert to_iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
