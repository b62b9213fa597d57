"""The task rules as pure functions: fencing, lapses, redistribution, backoff, and how stream entries render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from agenthub._time import to_iso, utcnow
from agenthub.errors import Conflict, Forbidden
from agenthub.hub.auth import OPERATOR_ACTOR, Actor
from agenthub.hub.delivery import STREAM_EVENT, message_frame
from agenthub.hub.task_rules import announce, backoff, check_holder, lapse, public, redistribute
from agenthub.models import Message, MessageType, Task, TaskStatus

NOW = utcnow()


def make_task(**fields: Any) -> Task:
    values: dict[str, Any] = {
        "id": "t1",
        "creator_id": "boss",
        "title": "job",
        "description": "",
        "status": TaskStatus.in_progress,
        "priority": 2,
        "tags": [],
        "requirements": {},
        "assignee_id": "worker",
        "depends_on": [],
        "result": None,
        "error": None,
        "attempts": 0,
        "max_attempts": 3,
        "lease_expires_at": NOW - timedelta(seconds=1),
        "due_date": None,
        "created_at": NOW,
        "completed_at": None,
        "updated_at": NOW,
        "available_at": NOW,
        "lease_token": "secret",
    }
    return Task.model_validate(values | fields)


WORKER = Actor(agent_id="worker", name="worker")
OTHER = Actor(agent_id="other", name="other")


def test_a_presented_token_must_be_the_current_one() -> None:
    task = make_task(lease_expires_at=utcnow() + timedelta(minutes=5))  # now, not at import: suites run long
    check_holder(WORKER, task, "secret")
    with pytest.raises(Conflict) as stale:
        check_holder(WORKER, task, "old")
    assert stale.value.code == "lease_lost"
    with pytest.raises(Conflict):
        check_holder(WORKER, make_task(lease_token=None), "secret")


def test_a_lapsed_lease_is_refused_even_before_the_reaper_takes_it_back() -> None:
    with pytest.raises(Conflict) as lapsed:
        check_holder(WORKER, make_task(), "secret")  # expired a second ago
    assert (lapsed.value.code, lapsed.value.details) == ("lease_lost", {"status": "expired"})


def test_without_a_token_only_the_assignee_or_operator_acts() -> None:
    task = make_task()
    check_holder(WORKER, task, None)
    check_holder(OPERATOR_ACTOR, task, None)
    with pytest.raises(Forbidden):
        check_holder(OTHER, task, None)


def test_a_lapsed_lease_requeues_then_fails_after_max_attempts() -> None:
    now = to_iso(NOW)
    requeued = lapse(now)(make_task())
    assert requeued.set["status"] == "pending" and requeued.set["attempts"] == 1
    assert requeued.set["assignee_id"] is None and requeued.set["lease_token"] is None
    last = lapse(now)(make_task(attempts=2))
    assert last.set["status"] == "failed" and last.set["error"] == "lease_expired"
    assert lapse(now)(make_task(lease_expires_at=NOW + timedelta(seconds=5))).action == ""  # renewed meanwhile
    assert lapse(now)(make_task(status=TaskStatus.completed)).action == ""


def test_redistribution_hands_unstarted_work_on_and_requeues_started_work() -> None:
    unstarted = redistribute("worker", ["spare"])(make_task(status=TaskStatus.assigned, lease_token=None))
    assert unstarted.pick_assignee == ["spare"] and unstarted.announce is not None
    started = redistribute("worker", ["spare"])(make_task())
    assert started.set["status"] == "pending" and started.set["attempts"] == 1 and started.pick_assignee is None
    assert redistribute("someone-else", [])(make_task()).action == ""


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    for attempts, full in ((1, 1.0), (2, 2.0), (3, 4.0), (10, 30.0)):
        delays = [backoff(attempts, 1.0, 30.0) for _ in range(200)]
        assert all(full * 0.5 <= d <= full for d in delays)
        assert max(delays) - min(delays) > 0  # jittered


def test_task_assigned_entries_render_as_their_event_without_the_token() -> None:
    entry = announce(make_task(status=TaskStatus.assigned))
    message = Message(
        id=entry.id,
        seq=7,
        channel=None,
        sender_id=entry.sender_id,
        recipients=entry.recipients,
        task_id=entry.task_id,
        thread_id=None,
        title=entry.title,
        content=entry.content,
        message_type=MessageType(entry.message_type),
        metadata=entry.metadata,
        created_at=NOW,
    )
    frame = orjson.loads(message_frame(message))
    assert frame["type"] == "task:assigned" and frame["seq"] == 7
    assert frame["data"] == orjson.loads(public(make_task(status=TaskStatus.assigned)).model_dump_json())
    assert frame["data"]["lease_token"] is None
    # The same metadata on an agent's message is just a message.
    forged = message.model_copy(update={"sender_id": "worker", "metadata": {STREAM_EVENT: "task:assigned"}})
    assert orjson.loads(message_frame(forged))["type"] == "message:received"
