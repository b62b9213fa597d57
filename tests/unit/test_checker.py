"""The history checker itself finds each kind of fault it claims to find."""

from __future__ import annotations

from tests.reliability.checker import Cursor, Delivery, Publish, check

PUBS = [
    Publish("p", 0, "m0", None, 1),
    Publish("p", 1, "m1", "s", 2),
    Publish("p", 2, "m2", None, 3),
]
STORED = {"m0": [1], "m1": [2], "m2": [3]}


def test_a_clean_history_with_redelivery_above_the_cursor_passes() -> None:
    log = [Delivery(1, 1, "m0"), Cursor(1, 1), Delivery(1, 2, "m1"), Delivery(2, 2, "m1"), Delivery(2, 3, "m2")]
    report = check(PUBS, {"s": log, "t": [Delivery(1, 1, "m0"), Delivery(1, 3, "m2")]}, STORED)
    assert report.ok, report.describe()
    assert report.summary() == {
        "acknowledged": 3,
        "delivered": 6,
        "redelivered": 1,
        "lost": 0,
        "unexpected": 0,
        "duplicated": 0,
        "out_of_order": 0,
    }


def test_each_fault_is_reported() -> None:
    log = [
        Delivery(1, 1, "m0"),
        Cursor(1, 1),
        Delivery(2, 1, "m0"),  # redelivered at the acknowledged cursor: a duplicate
        Delivery(2, 3, "m2"),
        Delivery(2, 2, "m1"),  # going back within a session
        Delivery(2, 9, "stranger"),
    ]
    report = check(PUBS, {"s": log, "t": [Delivery(1, 2, "m1")]}, {**STORED, "m2": [3, 4]})
    assert len(report.duplicated) == 2  # stored twice; below the cursor
    assert report.out_of_order == ["s session 2: seq 2 after 3"]
    assert len(report.unexpected) == 2  # never published; a direct message for someone else
    assert report.lost == ["t never received m0 (seq 1)", "t never received m2 (seq 3)"]


def test_an_acknowledged_publish_missing_from_storage_or_acknowledged_out_of_order_is_reported() -> None:
    pubs = [Publish("p", 0, "m0", None, 5), Publish("p", 1, "m1", None, 4), Publish("p", 2, "m2", None, None)]
    report = check(pubs, {}, {"m0": [5]})
    assert report.lost == ["m1 acknowledged as seq 4 but not stored under it"]
    assert report.out_of_order == ["p value 1 got seq 4 after value 0's 5"]
    assert report.acknowledged == 2
