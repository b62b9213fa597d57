"""Calls the CLI needs that the feature SDK modules do not offer (yet): hung agents, the audit log after an id."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from agenthub.client._core import Call
from agenthub.models import AuditEntry, HungAgent

_HUNG = TypeAdapter(list[HungAgent])
_AUDIT = TypeAdapter(list[AuditEntry])


class CliCalls:
    @staticmethod
    def hung() -> Call[list[HungAgent]]:
        return Call("GET", "/api/agents/hung", lambda _, body: _HUNG.validate_python(body))

    @staticmethod
    def audit(
        *, actor_id: str | None = None, action: str | None = None, after: int | None = None, limit: int = 50
    ) -> Call[list[AuditEntry]]:
        """Oldest first: the newest `limit` entries, or with `after`, the first `limit` after that id."""
        given: dict[str, Any] = {"actor_id": actor_id, "action": action, "after": after}
        params = {key: value for key, value in given.items() if value is not None} | {"limit": limit}
        return Call("GET", "/api/audit", lambda _, body: _AUDIT.validate_python(body), params=params)
