"""Lock routes: acquire (optionally blocking), list, renew, release."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from agenthub.models import Lock, LockRenew, LockRequest
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.server.waits import unless_abandoned

router = APIRouter(prefix="/api", tags=["locks"])


@router.post("/locks", status_code=status.HTTP_201_CREATED)
async def acquire(request: Request, body: LockRequest, actor: CurrentActor, hub: HubDep) -> Lock:
    """Lock a path or glob. 409 `lock_held` names the holder; `wait_seconds` waits for it to be free first (a
    wait whose client goes away ends without taking the lock)."""
    return await unless_abandoned(request, hub.locks.acquire(actor, body), body.wait_seconds)


@router.get("/locks")
async def list_locks(_: CurrentActor, hub: HubDep, resource: str | None = None, limit: Limit = 50) -> list[Lock]:
    """Live locks with holder and intent, newest-last (the newest `limit`); with `resource`, those overlapping it."""
    return (await hub.locks.list_locks(resource))[-limit:]


@router.get("/locks/{lock_id}")
async def get_lock(lock_id: str, _: CurrentActor, hub: HubDep) -> Lock:
    return await hub.locks.get(lock_id)


@router.post("/locks/{lock_id}/renew")
async def renew(lock_id: str, actor: CurrentActor, hub: HubDep, body: LockRenew | None = None) -> Lock:
    """Extend a lock I hold (409 `lock_lost` once it has lapsed or been released)."""
    return await hub.locks.renew(actor, lock_id, body or LockRenew())


@router.delete("/locks/{lock_id}", status_code=status.HTTP_204_NO_CONTENT)
async def release(lock_id: str, actor: CurrentActor, hub: HubDep) -> Response:
    """Release a lock: its holder or the operator only."""
    await hub.locks.release(actor, lock_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
