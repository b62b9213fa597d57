"""How the hub's answers read to a language model: compact JSON with only the fields that matter,
agent names instead of ids, and one line per item for hook reasons. No `mcp` import here: the Stop hook
uses it and must start fast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from agenthub._time import to_iso
from agenthub.errors import AgentHubError
from agenthub.models import Message

STREAM_EVENT = "agenthub:event"
"""Metadata key of a stream entry the hub stores for another feature (`task:assigned`); see `hub/delivery.py`."""

MAX_LINE = 2000
MAX_DETAILS = 600


def dumps(value: Any) -> str:
    return orjson.dumps(value, default=_default).decode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot encode {type(value).__name__}")


def clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that say something: no None, no empty lists or dicts."""
    return {key: value for key, value in fields.items() if value is not None and value != [] and value != {}}


def error_text(error: AgentHubError) -> str:
    """A hub error as a tool error's text: the hub's sentence, its code, and details when there are any."""
    text = f"{error.message} [{error.code}]"
    if error.details:
        details = dumps(error.details)
        text += f" details: {details if len(details) <= MAX_DETAILS else details[: MAX_DETAILS - 1] + '…'}"
    return text


def message_view(message: Message, names: Mapping[str, str]) -> dict[str, Any]:
    """A message as a model reads it, or a hub event entry (a task assigned to you) as that event."""
    event = message.metadata.get(STREAM_EVENT) if message.sender_id is None else None
    if isinstance(event, str):
        data = message.metadata.get("data")
        if event.startswith("task:") and isinstance(data, dict):
            return {"seq": message.seq, "event": event, "task": task_view(data, names)}
        return clean({"seq": message.seq, "event": event, "data": data})
    return clean(
        {
            "seq": message.seq,
            "id": message.id,
            "from": _name(message.sender_id, names),
            "to": [_name(r, names) for r in message.recipients],
            "channel": message.channel,
            "title": message.title,
            "thread_id": message.thread_id,
            "task_id": message.task_id,
            "type": None if message.message_type == "text" else str(message.message_type),
            "content": message.content,
            "at": to_iso(message.created_at),
        }
    )


def task_view(task: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The parts of a task a worker acts on."""
    return clean(
        {
            "id": task.get("id"),
            "title": task.get("title"),
            "description": task.get("description") or None,
            "status": task.get("status"),
            "priority": task.get("priority"),
            "tags": task.get("tags"),
            "creator": _name(task.get("creator_id"), names),
            "assignee": None if task.get("assignee_id") is None else _name(task.get("assignee_id"), names),
            "depends_on": task.get("depends_on"),
            "lease_expires_at": task.get("lease_expires_at"),
            "result": task.get("result"),
            "error": task.get("error"),
            "attempts": task.get("attempts") or None,
        }
    )


def line(view: Mapping[str, Any]) -> str:
    """One line of a hook reason for a message or event view."""
    if "event" in view:
        task = view.get("task")
        if view["event"] == "task:assigned" and isinstance(task, Mapping):
            text = f"- task assigned to you: {task.get('title')!r} (task_id {task.get('id')})"
            if task.get("description"):
                text += f": {task['description']}"
        else:
            text = f"- {view['event']}: {dumps(view.get('task') or view.get('data'))}"
    else:
        where = f"#{view['channel']}" if "channel" in view else "direct"
        extras = "".join(f", {key} {view[key]}" for key in ("thread_id", "task_id") if key in view)
        title = f"{view['title']}: " if "title" in view else ""
        text = f"- from {view.get('from')} ({where}, seq {view['seq']}{extras}): {title}{view.get('content', '')}"
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…"


def _name(agent_id: Any, names: Mapping[str, str]) -> str:
    if agent_id is None:
        return "operator"
    return names.get(str(agent_id), str(agent_id))
