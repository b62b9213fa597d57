"""The live-delivery core: who gets a committed message, and one connection's ordered, bounded outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import pytest

from agenthub.hub.delivery import Router, Session, event_frame, message_frame
from agenthub.models import Message, MessageType, Subscription


def message(
    seq: int, channel: str | None = None, recipients: tuple[str, ...] = (), sender: str | None = "s"
) -> Message:
    return Message(
        id=f"m{seq}",
        seq=seq,
        channel=channel,
        sender_id=sender,
        recipients=list(recipients),
        task_id=None,
        thread_id=None,
        title=None,
        content=f"content {seq}",
        message_type=MessageType.text,
        metadata={},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.fixture
def router() -> Router:
    router = Router()
    router.load(
        [
            Subscription(agent_id="exact", pattern="acme/general", since_seq=0),
            Subscription(agent_id="scope", pattern="acme/*", since_seq=0),
            Subscription(agent_id="deep", pattern="acme/x/*", since_seq=0),
            Subscription(agent_id="all", pattern="*", since_seq=0),
            Subscription(agent_id="other", pattern="other", since_seq=0),
        ]
    )
    return router


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("acme/general", {"exact", "scope", "all"}),
        ("acme/x", {"scope", "all"}),
        ("acme/x/y", {"scope", "deep", "all"}),
        ("acme", {"all"}),
        ("acmex/y", {"all"}),
        ("other", {"other", "all"}),
        ("otherwise", {"all"}),
    ],
)
def test_targets_by_channel(router: Router, channel: str, expected: set[str]) -> None:
    assert router.targets(message(1, channel)) == expected


def test_targets_of_direct_messages_and_the_sender(router: Router) -> None:
    assert router.targets(message(1, None, ("a", "b"))) == {"a", "b"}
    assert router.targets(message(1, "other", ("exact",))) == {"other", "all", "exact"}
    assert router.targets(message(1, "acme/general", sender="exact")) == {"scope", "all"}
    assert router.targets(message(1, None, ("s", "a"), sender="s")) == {"a"}
    assert router.targets(message(1, "acme/general", sender=None)) == {"exact", "scope", "all"}


def test_unsubscribing_and_forgetting(router: Router) -> None:
    router.remove_subscription("scope", "acme/*")
    router.forget_agent("all")
    assert router.targets(message(1, "acme/general")) == {"exact"}
    assert router.subscriptions_of("all") == []
    assert [s.pattern for s in router.subscriptions_of("exact")] == ["acme/general"]


def _seqs(items: list[tuple[str, int, bool]]) -> list[int]:
    seqs = [orjson.loads(frame)["seq"] for frame, _, _ in items]
    assert seqs == [seq for _, seq, _ in items]
    return seqs


def test_deliver_reaches_live_sessions_operators_and_waiters(router: Router) -> None:
    exact, scope, operator = Session("exact", 100), Session("scope", 100), Session(None, 100)
    for session in (exact, scope, operator):
        router.attach(session)
        session.go_live()
    waiter = router.waiter("exact")
    router.deliver([message(1, "acme/general"), message(2, "acme/x"), message(3, None, ("exact",))])
    assert waiter.is_set()
    assert [(orjson.loads(f)["seq"], seq, direct) for f, seq, direct in exact.take()] == [(1, 1, False), (3, 3, True)]
    assert _seqs(scope.take()) == [1, 2]
    assert _seqs(operator.take()) == [1, 2, 3]
    router.detach(exact)
    router.deliver([message(4, "acme/general")])
    assert exact.take() == []


def test_frames_are_the_wire_shape() -> None:
    frame = orjson.loads(message_frame(message(7, "c", ("r",))))
    assert frame["type"] == "message:received" and frame["seq"] == 7
    assert frame["data"]["id"] == "m7" and frame["data"]["recipients"] == ["r"]
    assert "duplicate" not in frame["data"] and "receipts" not in frame["data"]
    assert orjson.loads(event_frame("agent:joined", {"id": "a"})) == {"type": "agent:joined", "data": {"id": "a"}}


def test_replay_then_live_has_no_gap_and_no_duplicate_at_the_seam() -> None:
    session = Session("a", 1000)
    session.last_seq = 2  # resuming with since=2
    for seq in (5, 6, 7, 8):  # live traffic committed while the replay reads the database
        session.push(seq, message_frame(message(seq, "c")), False)
    assert session.take() == []  # nothing goes out before the replay
    for seq in (3, 4, 5, 6):  # the replay's snapshot saw up to 6
        session.push_replayed(message(seq, "c"), False)
    session.go_live()
    session.push(8, message_frame(message(8, "c")), False)  # a late duplicate of a live one
    session.push(9, message_frame(message(9, "c")), False)
    assert _seqs(session.take()) == [3, 4, 5, 6, 7, 8, 9]
    assert session.last_seq == 9
    session.push(9, message_frame(message(9, "c")), False)
    assert session.take() == []


def test_replayed_entries_at_or_below_the_start_are_dropped() -> None:
    session = Session("a", 1000)
    session.last_seq = 5
    session.push_replayed(message(4, "c"), False)
    session.push_replayed(message(6, None, ("a",)), True)
    session.go_live()
    assert [(orjson.loads(f)["seq"], direct) for f, _, direct in session.take()] == [(6, True)]


def test_events_keep_their_place_and_do_not_move_the_seq() -> None:
    session = Session("a", 1000)
    session.go_live()
    session.push(1, message_frame(message(1, "c")), False)
    session.push_event(event_frame("agent:joined", {}))
    session.push(2, message_frame(message(2, "c")), False)
    assert [orjson.loads(f)["type"] for f, _, _ in session.take()] == [
        "message:received",
        "agent:joined",
        "message:received",
    ]
    assert session.last_seq == 2


def test_overflow_is_flagged_once_the_outbox_passes_its_limit() -> None:
    session = Session("a", 3)
    session.go_live()
    for seq in (1, 2, 3):
        session.push(seq, message_frame(message(seq, "c")), False)
    assert not session.overflowed
    session.push(4, message_frame(message(4, "c")), False)
    assert session.overflowed and session.ready.is_set()


def test_overflow_while_replaying() -> None:
    session = Session("a", 2)
    for seq in (1, 2, 3):
        session.push(seq, message_frame(message(seq, "c")), False)
    assert session.overflowed


async def test_drained_below_waits_for_the_sender() -> None:
    session = Session("a", 100)
    session.go_live()
    for seq in range(1, 11):
        session.push(seq, message_frame(message(seq, "c")), False)
    waiting = asyncio.ensure_future(session.drained_below(5))
    await asyncio.sleep(0)
    assert not waiting.done()
    session.take()
    await asyncio.wait_for(waiting, timeout=1)


JOINED = ['{"type":"agent:joined","data":{"n":1}}', '{"type":"agent:joined","data":{"n":2}}']


async def test_a_burst_of_presence_events_wakes_each_connection_once_and_in_order() -> None:
    router = Router()
    quiet, busy = Session("quiet", 100), Session("busy", 100)
    router.attach(quiet)
    router.attach(busy)
    for frame in JOINED:
        router.broadcast(frame)
    assert not quiet.ready.is_set() and not busy.ready.is_set()  # queued; nobody woken for each one

    busy.push_event('{"type":"ack","id":"r1"}')  # anything else for a connection takes them along, in order
    assert busy.ready.is_set()
    assert [frame for frame, _, _ in busy.take()] == [*JOINED, '{"type":"ack","id":"r1"}']

    await asyncio.wait_for(quiet.ready.wait(), 5)  # the others are woken once, for the whole burst
    assert [frame for frame, _, _ in quiet.take()] == JOINED
    await asyncio.sleep(0.2)
    assert not busy.ready.is_set()  # the wake found nothing left to send for the busy one


async def test_a_connection_attached_after_an_event_does_not_get_it() -> None:
    router = Router()
    early = Session("early", 100)
    router.attach(early)
    router.broadcast(JOINED[0])
    late = Session("late", 100)
    router.attach(late)
    await asyncio.wait_for(early.ready.wait(), 5)
    assert [frame for frame, _, _ in early.take()] == [JOINED[0]]
    assert len(late) == 0 and not late.ready.is_set()
