"""Storage backends behind one interface (`Storage`); `open_storage` picks one from a database URL."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from agenthub.errors import InvalidField
from agenthub.storage.base import (
    AuditQuery,
    ClaimQuery,
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
    "ClaimQuery",
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
    "claim_for_serving",
    "storage_for_url",
]


def _sqlite_path(url: str) -> str | None:
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None


def claim_for_serving(url: str, owner: str) -> IO[str] | None:
    """What `agenthub serve` takes before it starts: the SQLite file at `url` for this process alone, checked to
    be a database (`storage/sqlite_file.py`). Keep what it returns open while serving. Raises
    StorageUnavailable, with a message for the person starting the hub."""
    path = _sqlite_path(url)
    if path is None:
        return None
    from agenthub.storage.sqlite_file import claim_for_serving as claim_sqlite

    return claim_sqlite(Path(path), owner)


def storage_for_url(url: str, *, synchronous: str = "full") -> Storage:
    """`sqlite:///path/to/file.db` (the default) or, later, `postgresql://...`."""
    path = _sqlite_path(url)
    if path is not None:
        from agenthub.storage.sqlite import SQLiteStorage

        return SQLiteStorage(path, synchronous=synchronous)
    if url.startswith(("postgresql://", "postgres://")):
        raise InvalidField("the PostgreSQL backend is not available in this version yet", code="unsupported_database")
    raise InvalidField(f"unsupported database URL {url!r}: use sqlite:///path", code="unsupported_database")
