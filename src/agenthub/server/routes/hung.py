"""`GET /api/agents/hung`. Included before the agents router, so `hung` is not taken for an agent id."""

from __future__ import annotations

from fastapi import APIRouter

from agenthub.models import HungAgent
from agenthub.server.deps import CurrentActor, HubDep

router = APIRouter(prefix="/api", tags=["agents"])


@router.get("/agents/hung")
async def hung_agents(_: CurrentActor, hub: HubDep) -> list[HungAgent]:
    """Agents holding active tasks or live locks with no live connection and no recent heartbeat."""
    return await hub.hung.list_hung()
