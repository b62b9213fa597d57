"""How hub answers read to a model, and the Stop hook's bookkeeping: pure functions, no hub needed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agenthub.errors import Conflict
from agenthub.mcp.render import MAX_LINE, error_text, line, message_view
from agenthub.mcp.stop_hook import MAX_REASON, reason, state_path
from agenthub.models import Message

NAMES = {"a1": "alice", "b1": "bob"}


def message(**fields: Any) -> Message:
    base: dict[str, Any] = {
        "id": "m1",
        "seq": 7,
        "channel": None,
        "sender_id": "a1",
        "recipients": ["b1"],
        "task_id": None,
        "thread_id": None,
        "title": None,
        "content": "hello",
        "message_type": "text",
        "metadata": {},
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    return Message.model_validate(base | fields)


def test_a_direct_message_shows_names_and_only_fields_that_say_something() -> None:
    assert message_view(message(), NAMES) == {
        "seq": 7,
        "id": "m1",
        "from": "alice",
        "to": ["bob"],
        "content": "hello",
        "at": "2026-01-02T03:04:05.000000Z",
    }
    view = message_view(message(sender_id=None, recipients=[], channel="ops", message_type="status"), NAMES)
    assert (view["from"], view["channel"], view["type"], "to" in view) == ("operator", "ops", "status", False)


def test_a_task_assignment_entry_reads_as_the_task() -> None:
    task = {"id": "t1", "title": "fix CI", "description": "", "status": "assigned", "creator_id": "a1",
            "assignee_id": "b1", "priority": 2, "tags": [], "attempts": 0, "lease_token": "secret"}  # fmt: skip
    entry = message(sender_id=None, metadata={"agenthub:event": "task:assigned", "data": task}, task_id="t1")
    view = message_view(entry, NAMES)
    assert view == {
        "seq": 7,
        "event": "task:assigned",
        "task": {"id": "t1", "title": "fix CI", "status": "assigned", "priority": 2, "creator": "alice",
                 "assignee": "bob"},
    }  # fmt: skip
    assert line(view) == "- task assigned to you: 'fix CI' (task_id t1)"


def test_an_agent_cannot_forge_an_event_entry() -> None:
    forged = message(metadata={"agenthub:event": "task:assigned", "data": {"title": "x"}})
    assert "event" not in message_view(forged, NAMES)


def test_hook_lines_name_the_sender_and_where_it_was_said_and_stay_short() -> None:
    view = message_view(message(channel="team/dev", title="standup", thread_id="m0"), NAMES)
    assert line(view) == "- from alice (#team/dev, seq 7, thread_id m0): standup: hello"
    long = line(message_view(message(content="x" * 10_000), NAMES))
    assert len(long) == MAX_LINE and long.endswith("…")


def test_reason_counts_items_and_is_bounded() -> None:
    assert reason(["- a"]).startswith("agenthub: 1 new item for you")
    text = reason([f"- {'y' * 1000}"] * 100)
    assert text.startswith("agenthub: 100 new items") and len(text) < MAX_REASON + 200


def test_error_text_is_the_hubs_sentence_and_code_with_bounded_details() -> None:
    error = Conflict("memory key 'k' is at version 2, not version 1", code="version_mismatch", details={"v": 2})
    assert error_text(error) == "memory key 'k' is at version 2, not version 1 [version_mismatch] details: {\"v\":2}"
    assert len(error_text(Conflict("x", details={"big": "z" * 5000}))) < 700


def test_hook_state_files_are_per_agent_and_session_and_never_escape_the_data_dir(tmp_path: Path) -> None:
    assert state_path(tmp_path, "bob", "abc-123") == tmp_path / "hooks" / "bob.abc-123.json"
    assert state_path(tmp_path, "bob", "../../etc/passwd").parent == tmp_path / "hooks"
    assert state_path(tmp_path, "bob", "") == tmp_path / "hooks" / "bob.default.json"
