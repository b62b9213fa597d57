"""Storage backends behind one interface (`Storage`); `open_storage` picks one from a database URL."""

from __future__ import annotations

from agenthub.errors import InvalidField
from agenthub.storage.base import (
    AuditQuery,
    Decide,
    MemoryNotice,
    MemoryWrite,
    MessageQuery,
    NewAgent,
    NewApproval,
    NewLock,
    NewMessage,
    NewReply,
    NewTask,
    NewThread,
    Storage,
    TaskChange,
    TaskOutcome,
    TaskQuery,
)

__all__ = [
    "AuditQuery",
    "Decide",
    "MemoryNotice",
    "MemoryWrite",
    "MessageQuery",
    "NewAgent",
    "NewApproval",
    "NewLock",
    "NewMessage",
    "NewReply",
    "NewTask",
    "NewThread",
    "Storage",
    "TaskChange",
    "TaskOutcome",
    "TaskQuery",
    "storage_for_url",
]


def storage_for_url(url: str, *, synchronous: str = "full") -> Storage:
    """`sqlite:///path/to/file.db` (the default) or, later, `postgresql://...`."""
    if url.startswith("sqlite:///"):
        from agenthub.storage.sqlite import SQLiteStorage

        return SQLiteStorage(url.removeprefix("sqlite:///"), synchronous=synchronous)
    if url.startswith(("postgresql://", "postgres://")):
        raise InvalidField("the PostgreSQL backend is not available in this version yet", code="unsupported_database")
    raise InvalidField(f"unsupported database URL {url!r}: use sqlite:///path", code="unsupported_database")
