"""Audit routes: log a decision, read with filters, verify the chain, export as JSON Lines.
No route changes or deletes an entry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from agenthub._time import to_iso
from agenthub.models import AuditEntry, AuditVerification, DecisionLog
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.storage import AuditQuery

router = APIRouter(prefix="/api", tags=["audit"])
Since = Annotated[datetime | None, Query(description="entries at or after this time (ISO 8601)")]
After = Annotated[int | None, Query(ge=0, description="entries after this id")]


def _query(
    actor_id: str | None, action: str | None, since: datetime | None, after: int | None, limit: int
) -> AuditQuery:
    at = None if since is None else to_iso(since if since.tzinfo else since.replace(tzinfo=UTC))
    return AuditQuery(actor_id=actor_id, action=action, since=at, after=after, limit=limit)


@router.post("/audit", status_code=status.HTTP_201_CREATED)
async def log_decision(body: DecisionLog, actor: CurrentActor, hub: HubDep) -> AuditEntry:
    """Put a decision on the record (seed 003's `log_decision`)."""
    return await hub.audit.log_decision(actor, body)


@router.get("/audit")
async def list_audit(
    _: CurrentActor,
    hub: HubDep,
    actor_id: str | None = None,
    action: str | None = None,
    since: Since = None,
    after: After = None,
    limit: Limit = 50,
) -> list[AuditEntry]:
    """Oldest first: the newest `limit` matching, or with `after`, the first `limit` after that id."""
    return await hub.audit.query(_query(actor_id, action, since, after, limit))


@router.get("/audit/verify")
async def verify(_: CurrentActor, hub: HubDep) -> AuditVerification:
    """Walk the hash chain; names the first entry that was altered or removed."""
    return await hub.audit.verify()


@router.get("/audit/export", response_class=StreamingResponse)
async def export(
    _: CurrentActor,
    hub: HubDep,
    actor_id: str | None = None,
    action: str | None = None,
    since: Since = None,
    after: After = None,
) -> StreamingResponse:
    """Every matching entry, oldest first, one JSON object per line."""
    entries = hub.audit.export(_query(actor_id, action, since, after, 1000))

    async def lines() -> AsyncIterator[bytes]:
        async for entry in entries:
            yield entry.model_dump_json().encode() + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")
