"""The audit log: read it, add a decision to it, verify its hash chain, export it. Nothing changes or deletes
an entry; every other feature appends its entries inside its own writes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from agenthub.hub.auth import Actor
from agenthub.models import AuditEntry, AuditVerification, DecisionLog
from agenthub.storage import AuditQuery, Storage

EXPORT_PAGE = 1000


class AuditLog:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def log_decision(self, actor: Actor, body: DecisionLog) -> AuditEntry:
        return await self._storage.log_decision(actor.agent_id, body.decision_type, body.context, body.reason)

    async def query(self, query: AuditQuery) -> list[AuditEntry]:
        return await self._storage.query_audit(query)

    async def verify(self) -> AuditVerification:
        return await self._storage.verify_audit()

    async def export(self, query: AuditQuery) -> AsyncIterator[AuditEntry]:
        """Every entry matching the filters, oldest first, a page at a time."""
        after = query.after or 0
        while True:
            page_query = AuditQuery(
                actor_id=query.actor_id, action=query.action, since=query.since, after=after, limit=EXPORT_PAGE
            )
            page = await self._storage.query_audit(page_query)
            for entry in page:
                yield entry
            if len(page) < EXPORT_PAGE:
                return
            after = page[-1].id
