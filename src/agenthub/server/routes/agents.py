"""Agent routes: register, directory, status, heartbeat."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from agenthub.models import Agent, AgentUpdate, RegisterRequest, RegisterResponse, StatusUpdate
from agenthub.server.deps import CurrentActor, HubDep, Limit

router = APIRouter(prefix="/api", tags=["agents"])


@router.post("/agents/register", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, actor: CurrentActor, hub: HubDep) -> RegisterResponse:
    """Register an agent (hub token). An existing name keeps its id; each call issues a new token."""
    agent, token, _ = await hub.agents.register(actor, body)
    return RegisterResponse(agent=agent, token=token)


@router.get("/agents")
async def list_agents(_: CurrentActor, hub: HubDep, limit: Limit = 1000) -> list[Agent]:
    return hub.agents.all()[:limit]


@router.get("/agents/online")
async def online_agents(_: CurrentActor, hub: HubDep, limit: Limit = 1000) -> list[Agent]:
    return hub.agents.online()[:limit]


@router.get("/me")
async def whoami(actor: CurrentActor, hub: HubDep) -> Agent | None:
    """The agent behind the token; `null` for the operator."""
    return None if actor.agent_id is None else hub.agents.get(actor.agent_id)


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: str, _: CurrentActor, hub: HubDep) -> Agent:
    return hub.agents.resolve(agent_id)


@router.put("/agents/{agent_id}")
async def update_agent(agent_id: str, body: AgentUpdate, actor: CurrentActor, hub: HubDep) -> Agent:
    return await hub.agents.update(actor, agent_id, body)


@router.delete("/agents/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_agent(agent_id: str, actor: CurrentActor, hub: HubDep) -> Response:
    await hub.delete_agent(actor, agent_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/agents/{agent_id}/status")
async def set_status(agent_id: str, body: StatusUpdate, actor: CurrentActor, hub: HubDep) -> Agent:
    hub.agents.check_may_change(actor, hub.agents.get(agent_id).id)
    return hub.presence.set_status(agent_id, body.status)


@router.post("/agents/{agent_id}/heartbeat")
async def heartbeat(agent_id: str, actor: CurrentActor, hub: HubDep) -> Agent:
    """Keep an agent that has no WebSocket online (send at least every 10 s)."""
    hub.agents.check_may_change(actor, hub.agents.get(agent_id).id)
    return hub.presence.heartbeat(agent_id)
