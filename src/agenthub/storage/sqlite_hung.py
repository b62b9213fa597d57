"""SQLite query behind hung agents: who holds active tasks or live locks.

The tasks table belongs to the tasks feature; until its migration has run, only locks count."""

from __future__ import annotations

import sqlite3

from agenthub.storage.sqlite_engine import SQLiteEngine

ACTIVE_TASK_STATUSES = ("assigned", "in_progress")


class SQLiteHung:
    _engine: SQLiteEngine

    async def work_held(self, now: str) -> dict[str, tuple[int, int]]:
        def op(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
            held: dict[str, list[int]] = {}
            sql = "SELECT holder_id, COUNT(*) FROM locks WHERE holder_id IS NOT NULL AND expires_at > ? GROUP BY 1"
            for agent_id, count in conn.execute(sql, (now,)):
                held.setdefault(agent_id, [0, 0])[1] = count
            has_tasks = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tasks'").fetchone()
            if has_tasks:
                marks = ",".join("?" * len(ACTIVE_TASK_STATUSES))
                sql = (
                    "SELECT assignee_id, COUNT(*) FROM tasks"
                    f" WHERE assignee_id IS NOT NULL AND status IN ({marks}) GROUP BY 1"
                )
                for agent_id, count in conn.execute(sql, ACTIVE_TASK_STATUSES):
                    held.setdefault(agent_id, [0, 0])[0] = count
            return {agent_id: (tasks, locks) for agent_id, (tasks, locks) in held.items()}

        return await self._engine.read(op)
