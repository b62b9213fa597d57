"""The SDK's sans-IO core: stream bookkeeping and publish bodies."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from agenthub.client._core import StreamState, message_body


def test_stream_state_accepts_each_seq_once_in_order() -> None:
    state = StreamState()
    assert state.last_seq is None
    assert state.accept(5) is True
    assert state.accept(5) is False
    assert state.accept(3) is False
    assert state.accept(6) is True
    assert state.last_seq == 6


def test_stream_state_schedules_acks_only_for_progress() -> None:
    state = StreamState()
    assert state.processed(4) is True
    assert state.pending_ack == 4
    state.acked_seq = 4
    assert state.processed(3) is False
    assert state.pending_ack == 4
    assert state.processed(7) is True
    assert state.pending_ack == 7


def test_message_body_always_carries_a_msg_id() -> None:
    first = message_body("hi", channel="general")
    second = message_body("hi", channel="general")
    assert first == {"content": "hi", "channel": "general", "msg_id": first["msg_id"]}
    assert uuid.UUID(first["msg_id"]) and first["msg_id"] != second["msg_id"]
    assert message_body("hi", channel="general", msg_id="mine")["msg_id"] == "mine"


def test_message_body_keeps_given_fields_and_drops_defaults() -> None:
    body = message_body(
        "report", recipients=["bob"], title="T", thread_id="th", message_type="status", metadata={"k": 1}, msg_id="m"
    )
    assert body == {
        "content": "report",
        "recipients": ["bob"],
        "title": "T",
        "thread_id": "th",
        "message_type": "status",
        "metadata": {"k": 1},
        "msg_id": "m",
    }


@pytest.mark.parametrize(
    "fields",
    [{"channel": "Not Valid"}, {"channel": "ok", "message_type": "shout"}, {"channel": "ok", "sender_id": "x"}],
)
def test_message_body_refuses_what_the_hub_would(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        message_body("x", **fields)
