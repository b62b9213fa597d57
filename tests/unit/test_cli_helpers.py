"""The CLI's pure helpers: values from the command line, ids by prefix, receipt marks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agenthub.cli import output
from agenthub.cli.context import CliError, parse_value, resolve_id
from agenthub.models import Message, Receipt

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42), ("true", True), ('{"a": [1]}', {"a": [1]}), ('"quoted"', "quoted"), ("plain text", "plain text")],
)
def test_values_are_json_when_they_parse_and_text_otherwise(text: str, value: object) -> None:
    assert parse_value(text) == value


def test_ids_resolve_in_full_or_by_a_unique_prefix() -> None:
    ids = ["3f2a9c1e-aaaa", "3f2b0000-bbbb", "77000000-cccc"]
    assert resolve_id("3f2b0000-bbbb", ids, "task") == "3f2b0000-bbbb"
    assert resolve_id("77", ids, "task") == "77000000-cccc"
    with pytest.raises(CliError, match="2 tasks have ids starting with '3f2'"):
        resolve_id("3f2", ids, "task")
    with pytest.raises(CliError, match="no task has an id starting with 'zz'"):
        resolve_id("zz", ids, "task")


def _direct(*receipts: Receipt) -> Message:
    return Message(
        id="m", seq=1, channel=None, sender_id="a", recipients=[r.agent_id for r in receipts], task_id=None,
        thread_id=None, title=None, content="hi", message_type="text", metadata={}, created_at=NOW,
        receipts=list(receipts),
    )  # fmt: skip


def test_receipt_marks_say_sent_delivered_read_for_every_recipient() -> None:
    sent = Receipt(agent_id="b", delivered_at=None, read_at=None)
    delivered = Receipt(agent_id="c", delivered_at=NOW, read_at=None)
    read = Receipt(agent_id="d", delivered_at=NOW, read_at=NOW)
    assert output.receipt_mark(_direct(sent)) == "·"
    assert output.receipt_mark(_direct(delivered, sent)) == "·"
    assert output.receipt_mark(_direct(delivered, read)) == "✓"
    assert output.receipt_mark(_direct(read)) == "✓✓"
    channel = _direct().model_copy(update={"channel": "general", "recipients": []})
    assert output.receipt_mark(channel) == ""


def test_only_uuids_are_shortened() -> None:
    assert output.short("6a5fb2ae-23ca-4203-909c-03d2c89eb4a9") == "6a5fb2ae"
    assert output.short("plan/step") == "plan/step"
    assert output.short(None) == ""
