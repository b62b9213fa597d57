"""Helpers of the in-process hub tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from agenthub.hub import OPERATOR_ACTOR, Actor, Hub
from agenthub.models import RegisterRequest


async def agent(hub: Hub, name: str) -> Actor:
    """A newly registered agent of `hub`, as the actor it acts as."""
    registered, _, _ = await hub.agents.register(OPERATOR_ACTOR, RegisterRequest(name=name))
    return Actor(agent_id=registered.id, name=registered.name)


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """What `sql` reads from the hub's SQLite file, on a connection of its own (closed again)."""
    with sqlite3.connect(path) as conn:
        found = conn.execute(sql).fetchall()
    conn.close()
    return found
