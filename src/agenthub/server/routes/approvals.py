"""Approval routes: request, list, read (long poll), approve, deny."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from agenthub.models import Approval, ApprovalDecision, ApprovalRequest, ApprovalStatus
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.server.waits import unless_abandoned

router = APIRouter(prefix="/api", tags=["approvals"])


@router.post("/approvals", status_code=status.HTTP_201_CREATED)
async def request_approval(body: ApprovalRequest, actor: CurrentActor, hub: HubDep) -> Approval:
    """Ask for approval; every live connection hears `approval:requested`."""
    return await hub.approvals.request(actor, body)


@router.get("/approvals")
async def list_approvals(
    _: CurrentActor, hub: HubDep, status: ApprovalStatus | None = None, limit: Limit = 50
) -> list[Approval]:
    return await hub.approvals.list_approvals(status, limit)


@router.get("/approvals/{approval_id}")
async def get_approval(
    request: Request,
    approval_id: str,
    _: CurrentActor,
    hub: HubDep,
    wait: Annotated[float, Query(ge=0, le=300, description="seconds to wait while it is pending")] = 0,
) -> Approval:
    """The request; with `wait`, answered as soon as it is decided or expires (or when the wait ends)."""
    return await unless_abandoned(request, hub.approvals.get(approval_id, wait), wait)


@router.post("/approvals/{approval_id}/approve")
async def approve(approval_id: str, actor: CurrentActor, hub: HubDep, body: ApprovalDecision | None = None) -> Approval:
    """The operator or any agent but the requester."""
    return await hub.approvals.decide(actor, approval_id, True, body.reason if body else None)


@router.post("/approvals/{approval_id}/deny")
async def deny(approval_id: str, actor: CurrentActor, hub: HubDep, body: ApprovalDecision | None = None) -> Approval:
    return await hub.approvals.decide(actor, approval_id, False, body.reason if body else None)
