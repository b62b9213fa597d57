"""The SQLite backend: the default, embedded, nothing to install."""

from __future__ import annotations

from pathlib import Path

from agenthub.errors import StorageUnavailable
from agenthub.storage.sqlite_agents import SQLiteAgents
from agenthub.storage.sqlite_approvals import SQLiteApprovals
from agenthub.storage.sqlite_audit_log import SQLiteAuditLog
from agenthub.storage.sqlite_engine import SQLiteEngine
from agenthub.storage.sqlite_hung import SQLiteHung
from agenthub.storage.sqlite_locks import SQLiteLocks
from agenthub.storage.sqlite_memory import SQLiteMemory
from agenthub.storage.sqlite_messages import MergedAppends, SQLiteMessages
from agenthub.storage.sqlite_tasks import SQLiteTasks
from agenthub.storage.sqlite_threads import SQLiteThreads


class SQLiteStorage(
    SQLiteAgents,
    SQLiteMessages,
    SQLiteTasks,
    SQLiteMemory,
    SQLiteLocks,
    SQLiteThreads,
    SQLiteApprovals,
    SQLiteAuditLog,
    SQLiteHung,
):
    """One database file in WAL mode; each feature's rows live in their own `sqlite_<feature>` module."""

    def __init__(self, path: Path | str, *, synchronous: str = "full") -> None:
        self.url = f"sqlite:///{path}"
        self._engine = SQLiteEngine(path, synchronous=synchronous)
        self._appends = MergedAppends(self._engine)

    async def open(self) -> None:
        self._engine.start()

    async def close(self) -> None:
        await self._engine.close()

    @property
    def failure(self) -> StorageUnavailable | None:
        return self._engine.failure
