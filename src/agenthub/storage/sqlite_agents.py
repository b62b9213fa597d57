"""SQLite rows for agents, their tokens, cursors and channel subscriptions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import orjson

from agenthub._time import from_iso, now_iso, parse_iso
from agenthub.models import Agent, AgentStatus, Subscription
from agenthub.storage.base import NewAgent
from agenthub.storage.sqlite_audit import audit
from agenthub.storage.sqlite_engine import SQLiteEngine

AGENT_COLUMNS = "id, name, type, status, capabilities, metadata, parent_id, created_at, last_seen"
_UPDATABLE = {"type": str, "capabilities": list, "metadata": dict}


def agent_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Agent:
    return Agent.model_construct(
        id=row[0],
        name=row[1],
        type=row[2],
        status=AgentStatus(row[3]),
        capabilities=orjson.loads(row[4]),
        metadata=orjson.loads(row[5]),
        parent_id=row[6],
        created_at=parse_iso(row[7]),
        last_seen=from_iso(row[8]),
    )


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _select_agent(conn: sqlite3.Connection, where: str, arg: str) -> Agent | None:
    row = conn.execute(f"SELECT {AGENT_COLUMNS} FROM agents WHERE {where} = ?", (arg,)).fetchone()
    return agent_from_row(row) if row else None


class SQLiteAgents:
    _engine: SQLiteEngine

    async def register_agent(self, new: NewAgent) -> tuple[Agent, bool]:
        def op(conn: sqlite3.Connection) -> tuple[Agent, bool]:
            existing = conn.execute("SELECT id FROM agents WHERE name = ?", (new.name,)).fetchone()
            if existing:
                agent_id = existing[0]
                values = {"type": new.type, "capabilities": _dumps(new.capabilities), "metadata": _dumps(new.metadata)}
                changes = {column: value for column, value in values.items() if column in new.given}
                assignments = "".join(f"{column} = ?, " for column in changes)
                conn.execute(
                    f"UPDATE agents SET {assignments}parent_id = COALESCE(?, parent_id) WHERE id = ?",
                    (*changes.values(), new.parent_id, agent_id),
                )
            else:
                agent_id = new.id
                conn.execute(
                    "INSERT INTO agents (id, name, type, status, capabilities, metadata, parent_id, created_at)"
                    " VALUES (?, ?, ?, 'offline', ?, ?, ?, ?)",
                    (
                        agent_id,
                        new.name,
                        new.type,
                        _dumps(new.capabilities),
                        _dumps(new.metadata),
                        new.parent_id,
                        new.created_at,
                    ),
                )
            conn.execute(
                "INSERT INTO agent_tokens (token_hash, agent_id, created_at) VALUES (?, ?, ?)",
                (new.token_hash, agent_id, new.created_at),
            )
            agent = _select_agent(conn, "id", agent_id)
            assert agent is not None
            action = "agent.reregistered" if existing else "agent.registered"
            audit(conn, None, action, "agent", agent_id, {"name": new.name, "type": new.type})
            return agent, not existing

        return await self._engine.write(op)

    async def agent_id_for_token(self, token_hash: str) -> str | None:
        def op(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT agent_id FROM agent_tokens WHERE token_hash = ?", (token_hash,)).fetchone()
            return row[0] if row else None

        return await self._engine.read(op)

    async def get_agent(self, agent_id: str) -> Agent | None:
        return await self._engine.read(lambda conn: _select_agent(conn, "id", agent_id))

    async def list_agents(self) -> list[Agent]:
        def op(conn: sqlite3.Connection) -> list[Agent]:
            rows = conn.execute(f"SELECT {AGENT_COLUMNS} FROM agents ORDER BY created_at, name").fetchall()
            return [agent_from_row(row) for row in rows]

        return await self._engine.read(op)

    async def update_agent(self, agent_id: str, changes: dict[str, Any], actor_id: str | None) -> Agent | None:
        fields = {key: value for key, value in changes.items() if key in _UPDATABLE and value is not None}

        def op(conn: sqlite3.Connection) -> Agent | None:
            if fields:
                assignments = ", ".join(f"{key} = ?" for key in fields)
                values = [value if isinstance(value, str) else _dumps(value) for value in fields.values()]
                conn.execute(f"UPDATE agents SET {assignments} WHERE id = ?", (*values, agent_id))
                audit(conn, actor_id, "agent.updated", "agent", agent_id, fields)
            return _select_agent(conn, "id", agent_id)

        return await self._engine.write(op)

    async def set_presence(self, changes: dict[str, tuple[AgentStatus, str]]) -> None:
        rows = [(status.value, seen, agent_id) for agent_id, (status, seen) in changes.items()]

        def op(conn: sqlite3.Connection) -> None:
            for status, seen, agent_id in rows:
                before = conn.execute("SELECT status FROM agents WHERE id = ?", (agent_id,)).fetchone()
                conn.execute("UPDATE agents SET status = ?, last_seen = ? WHERE id = ?", (status, seen, agent_id))
                if before is not None and before[0] != status:
                    audit(conn, agent_id, "agent.status", "agent", agent_id, {"from": before[0], "to": status})

        await self._engine.write(op)

    async def delete_agent(self, agent_id: str, actor_id: str | None) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            deleted = conn.execute("DELETE FROM agents WHERE id = ?", (agent_id,)).rowcount > 0
            if deleted:
                audit(conn, actor_id, "agent.deleted", "agent", agent_id)
            return deleted

        return await self._engine.write(op)

    async def get_cursor(self, agent_id: str) -> int:
        def op(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT cursor_seq FROM agents WHERE id = ?", (agent_id,)).fetchone()
            return int(row[0]) if row else 0

        return await self._engine.read(op)

    async def advance_cursor(self, agent_id: str, seq: int) -> int:
        def op(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "UPDATE agents SET cursor_seq = MAX(cursor_seq, ?) WHERE id = ? RETURNING cursor_seq", (seq, agent_id)
            ).fetchone()
            return int(row[0]) if row else 0

        return await self._engine.write(op)

    async def subscribe(
        self, agent_id: str, pattern: str, on_commit: Callable[[Subscription], None] | None = None
    ) -> Subscription:
        def op(conn: sqlite3.Connection) -> Subscription:
            now = now_iso()
            conn.execute(
                "INSERT INTO subscriptions (agent_id, pattern, since_seq, created_at)"
                " VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'messages'), ?)"
                " ON CONFLICT DO NOTHING",
                (agent_id, pattern, now),
            )
            if "*" not in pattern:
                conn.execute(
                    "INSERT INTO channels (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", (pattern, now)
                )
            row = conn.execute(
                "SELECT since_seq FROM subscriptions WHERE agent_id = ? AND pattern = ?", (agent_id, pattern)
            ).fetchone()
            audit(conn, agent_id, "channel.subscribed", "channel", pattern, {"since_seq": row[0]})
            return Subscription.model_construct(agent_id=agent_id, pattern=pattern, since_seq=int(row[0]))

        return await self._engine.write(op, on_commit)

    async def unsubscribe(self, agent_id: str, pattern: str) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            sql = "DELETE FROM subscriptions WHERE agent_id = ? AND pattern = ?"
            removed = conn.execute(sql, (agent_id, pattern)).rowcount > 0
            if removed:
                audit(conn, agent_id, "channel.unsubscribed", "channel", pattern)
            return removed

        return await self._engine.write(op)

    async def list_subscriptions(self, agent_id: str | None = None) -> list[Subscription]:
        def op(conn: sqlite3.Connection) -> list[Subscription]:
            sql = "SELECT agent_id, pattern, since_seq FROM subscriptions"
            rows = conn.execute(sql + " WHERE agent_id = ?", (agent_id,)) if agent_id else conn.execute(sql)
            return [Subscription.model_construct(agent_id=a, pattern=p, since_seq=s) for a, p, s in rows]

        return await self._engine.read(op)
