"""Helpers of the storage tests (and of the in-process hub tests, which write through the same storage)."""

from __future__ import annotations

from agenthub._ids import new_ordered_id
from agenthub._time import now_iso
from agenthub.storage import NewMessage


def channel_message(content: str, sender: str | None = None) -> NewMessage:
    """A new message to channel `c` (from the operator unless `sender` is given), to store as it is."""
    return NewMessage(id=new_ordered_id(), sender_id=sender, content=content, created_at=now_iso(), channel="c")
