"""Storage backends under test. The contract suite runs once per param of `backend`: add PostgreSQL as a param."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from agenthub.storage import Storage


@dataclass(frozen=True)
class AuditEntry:
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str | None


@dataclass
class Backend:
    storage: Storage
    audit: Callable[[], Awaitable[list[AuditEntry]]]
    """Every audit entry, oldest first (read behind the storage's back: the audit API comes in a later issue)."""
    integrity_error: type[Exception]
    """What the backend raises when a write breaks a uniqueness rule."""


async def _sqlite(tmp_path: Path) -> AsyncIterator[Backend]:
    from agenthub.storage.sqlite import SQLiteStorage

    path = tmp_path / "contract.db"
    storage = SQLiteStorage(path)
    await storage.open()

    async def audit() -> list[AuditEntry]:
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT actor_id, action, subject_type, subject_id FROM audit_log ORDER BY id")
            entries = [AuditEntry(*row) for row in rows]
        conn.close()
        return entries

    try:
        yield Backend(storage, audit, sqlite3.IntegrityError)
    finally:
        await storage.close()


BACKENDS = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async for opened in BACKENDS[request.param](tmp_path):
        yield opened


@pytest.fixture
def storage(backend: Backend) -> Storage:
    return backend.storage
