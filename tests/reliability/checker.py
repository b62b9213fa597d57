"""The history checker: given what publishers had acknowledged and what subscribers received, find the faults.

A history is made of plain records, so the checker is a pure function (and unit-tested on its own):

- `Publish`: a publisher's value, its `msg_id`, who it was for, and the `seq` the hub acknowledged
  (None when it was sent but never acknowledged).
- `Delivery`: a subscriber received `seq` / `msg_id` in connection `session`.
- `Cursor`: the hub acknowledged a subscriber's `message:ack` up to `seq` in `session`.

What the protocol promises (PROTOCOL.md section 5) and the checker verifies:

- lost: an acknowledged publish that a subscriber entitled to it never received, or that is not stored;
- unexpected: a delivery of something never published, or published for someone else;
- duplicated: the same `msg_id` stored or delivered under two seqs, the same seq twice in one session, or
  a seq redelivered at or below the cursor the hub had acknowledged (at-least-once redelivery above the
  cursor after a reconnect is documented and only counted, as `redelivered`);
- out of order: seqs not strictly increasing within a session, or a publisher's values acknowledged in
  an order other than the one it sent them in.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Publish:
    publisher: str
    value: int
    msg_id: str
    to: str | None  # a subscriber for a direct message; None for the channel (every subscriber)
    seq: int | None


@dataclass(frozen=True, slots=True)
class Delivery:
    session: int
    seq: int
    msg_id: str


@dataclass(frozen=True, slots=True)
class Cursor:
    session: int
    seq: int


@dataclass
class Report:
    acknowledged: int = 0
    delivered: int = 0
    redelivered: int = 0
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.unexpected or self.duplicated or self.out_of_order)

    def summary(self) -> dict[str, int]:
        return {
            "acknowledged": self.acknowledged,
            "delivered": self.delivered,
            "redelivered": self.redelivered,
            "lost": len(self.lost),
            "unexpected": len(self.unexpected),
            "duplicated": len(self.duplicated),
            "out_of_order": len(self.out_of_order),
        }

    def describe(self, examples: int = 5) -> str:
        lines = [", ".join(f"{k}={v}" for k, v in self.summary().items())]
        for name in ("lost", "unexpected", "duplicated", "out_of_order"):
            found: list[str] = getattr(self, name)
            if found:
                lines.append(f"{name}: {found[:examples]}{' ...' if len(found) > examples else ''}")
        return "\n".join(lines)


def check(
    publishes: Iterable[Publish],
    subscribers: Mapping[str, Iterable[Delivery | Cursor]],
    stored: Mapping[str, list[int]],
) -> Report:
    """`subscribers` maps each subscriber to its log in the order things happened to it; `stored` maps every
    `msg_id` found in the database to the seqs of the rows carrying it."""
    report = Report()
    published: dict[str, Publish] = {}
    by_publisher: dict[str, list[Publish]] = defaultdict(list)
    for p in publishes:
        published[p.msg_id] = p
        by_publisher[p.publisher].append(p)

    for msg_id, seqs in stored.items():
        if len(seqs) > 1:
            report.duplicated.append(f"{msg_id} stored {len(seqs)} times (seqs {sorted(seqs)})")
        if msg_id not in published:
            report.unexpected.append(f"{msg_id} stored but never published")

    for publisher, values in by_publisher.items():
        acked = sorted((p for p in values if p.seq is not None), key=lambda p: p.value)
        report.acknowledged += len(acked)
        for before, after in itertools.pairwise(acked):
            assert before.seq is not None and after.seq is not None
            if after.seq <= before.seq:
                report.out_of_order.append(
                    f"{publisher} value {after.value} got seq {after.seq} after value {before.value}'s {before.seq}"
                )
        for p in acked:
            if p.seq not in stored.get(p.msg_id, []):
                report.lost.append(f"{p.msg_id} acknowledged as seq {p.seq} but not stored under it")

    for name, log in subscribers.items():
        _check_subscriber(name, list(log), published, report)
    return report


def _entitled(p: Publish, subscriber: str) -> bool:
    return p.to is None or p.to == subscriber


def _check_subscriber(name: str, log: list[Delivery | Cursor], published: dict[str, Publish], report: Report) -> None:
    received: dict[str, int] = {}  # msg_id -> the seq it came with
    confirmed = 0  # the highest cursor the hub acknowledged
    last_in_session: dict[int, int] = {}
    seen_in_session: set[tuple[int, int]] = set()
    for entry in log:
        if isinstance(entry, Cursor):
            confirmed = max(confirmed, entry.seq)
            continue
        report.delivered += 1
        p = published.get(entry.msg_id)
        if p is None or not _entitled(p, name):
            report.unexpected.append(f"{name} received {entry.msg_id} (seq {entry.seq}) it is not entitled to")
        if (entry.session, entry.seq) in seen_in_session:
            report.duplicated.append(f"{name} received seq {entry.seq} twice in session {entry.session}")
            continue
        seen_in_session.add((entry.session, entry.seq))
        previous = last_in_session.get(entry.session, 0)
        if entry.seq <= previous:
            report.out_of_order.append(f"{name} session {entry.session}: seq {entry.seq} after {previous}")
        last_in_session[entry.session] = max(previous, entry.seq)
        earlier = received.get(entry.msg_id)
        if earlier is not None and earlier != entry.seq:
            report.duplicated.append(f"{name} received {entry.msg_id} as seq {earlier} and as seq {entry.seq}")
        elif earlier is not None:
            if entry.seq <= confirmed:
                report.duplicated.append(f"{name} got seq {entry.seq} again below its acknowledged cursor {confirmed}")
            else:
                report.redelivered += 1
        received[entry.msg_id] = entry.seq
    for p in published.values():
        if p.seq is not None and _entitled(p, name) and p.msg_id not in received:
            report.lost.append(f"{name} never received {p.msg_id} (seq {p.seq})")
