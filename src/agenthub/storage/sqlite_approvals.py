"""SQLite rows for approval requests."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from agenthub._time import from_iso, parse_iso
from agenthub.models import Approval, ApprovalStatus
from agenthub.storage.base import ApprovalGuard, NewApproval
from agenthub.storage.sqlite_audit import audit
from agenthub.storage.sqlite_engine import SQLiteEngine

_SELECT = (
    "SELECT id, action, details, status, requester_id, decided_by, reason, created_at, expires_at, decided_at"
    " FROM approvals"
)


def approval_from_row(row: Sequence[Any]) -> Approval:
    return Approval.model_construct(
        id=row[0],
        action=row[1],
        details=orjson.loads(row[2]),
        status=ApprovalStatus(row[3]),
        requester_id=row[4],
        decided_by=row[5],
        reason=row[6],
        created_at=parse_iso(row[7]),
        expires_at=parse_iso(row[8]),
        decided_at=from_iso(row[9]),
    )


def _one(conn: sqlite3.Connection, approval_id: str) -> Approval | None:
    row = conn.execute(f"{_SELECT} WHERE id = ?", (approval_id,)).fetchone()
    return approval_from_row(row) if row else None


class SQLiteApprovals:
    _engine: SQLiteEngine

    async def create_approval(self, new: NewApproval) -> Approval:
        def op(conn: sqlite3.Connection) -> Approval:
            conn.execute(
                "INSERT INTO approvals (id, action, details, status, requester_id, created_at, expires_at)"
                " VALUES (?, ?, ?, 'pending', ?, ?, ?)",
                (
                    new.id,
                    new.action,
                    orjson.dumps(new.details).decode(),
                    new.requester_id,
                    new.created_at,
                    new.expires_at,
                ),
            )
            details = {"action": new.action, "expires_at": new.expires_at}
            audit(conn, new.requester_id, "approval.requested", "approval", new.id, details)
            approval = _one(conn, new.id)
            assert approval is not None
            return approval

        return await self._engine.write(op)

    async def decide_approval(
        self,
        approval_id: str,
        status: ApprovalStatus,
        actor_id: str | None,
        reason: str | None,
        at: str,
        guard: ApprovalGuard,
    ) -> Approval:
        def op(conn: sqlite3.Connection) -> Approval:
            guard(_one(conn, approval_id))
            conn.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, reason = ?, decided_at = ? WHERE id = ?",
                (status.value, actor_id, reason, at, approval_id),
            )
            audit(conn, actor_id, f"approval.{status.value}", "approval", approval_id, {"reason": reason})
            approval = _one(conn, approval_id)
            assert approval is not None
            return approval

        return await self._engine.write(op, isolated=True)

    async def get_approval(self, approval_id: str) -> Approval | None:
        return await self._engine.read(lambda conn: _one(conn, approval_id))

    async def list_approvals(self, status: ApprovalStatus | None, limit: int) -> list[Approval]:
        def op(conn: sqlite3.Connection) -> list[Approval]:
            if status is None:
                rows = conn.execute(f"{_SELECT} ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
            else:
                sql = f"{_SELECT} WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?"
                rows = conn.execute(sql, (status.value, limit)).fetchall()
            return [approval_from_row(row) for row in reversed(rows)]

        return await self._engine.read(op)

    async def expire_approvals(self, now: str) -> list[Approval]:
        def op(conn: sqlite3.Connection) -> list[Approval]:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at", (now,)
                ).fetchall()
            ]
            lapsed = []
            for approval_id in ids:
                conn.execute("UPDATE approvals SET status = 'expired', decided_at = ? WHERE id = ?", (now, approval_id))
                audit(conn, None, "approval.expired", "approval", approval_id)
                approval = _one(conn, approval_id)
                assert approval is not None
                lapsed.append(approval)
            return lapsed

        return await self._engine.write(op)

    async def approvals_due(self, now: str) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            sql = "SELECT 1 FROM approvals WHERE status = 'pending' AND expires_at <= ? LIMIT 1"
            return conn.execute(sql, (now,)).fetchone() is not None

        return await self._engine.read(op)
