"""Agent routes: register, directory, status, heartbeat."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from agenthub.errors import Conflict, InvalidField
from agenthub.models import Agent, AgentUpdate, RegisterRequest, RegisterResponse, StatusUpdate
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.server.ws import Connection, handles

router = APIRouter(prefix="/api", tags=["agents"])


@router.post("/agents/register", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, actor: CurrentActor, hub: HubDep) -> RegisterResponse:
    """Register an agent (hub token). An existing name keeps its id; each call issues a new token."""
    agent, token, _ = await hub.agents.register(actor, body)
    return RegisterResponse(agent=agent, token=token)


@router.get("/agents")
async def list_agents(_: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[Agent]:
    """Oldest first (newest-last), as every list."""
    return hub.agents.all()[:limit]


@router.get("/agents/online")
async def online_agents(_: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[Agent]:
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
    """`agent_id` may also be the agent's name, here and in the routes below."""
    return await hub.agents.update(actor, hub.agents.resolve(agent_id).id, body)


@router.delete("/agents/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_agent(agent_id: str, actor: CurrentActor, hub: HubDep) -> Response:
    await hub.delete_agent(actor, hub.agents.resolve(agent_id).id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/agents/{agent_id}/status")
async def set_status(agent_id: str, body: StatusUpdate, actor: CurrentActor, hub: HubDep) -> Agent:
    agent = hub.agents.resolve(agent_id)
    hub.agents.check_may_change(actor, agent.id)
    return hub.presence.set_status(agent.id, body.status)


@router.post("/agents/{agent_id}/heartbeat")
async def heartbeat(agent_id: str, actor: CurrentActor, hub: HubDep) -> Agent:
    """Keep an agent that has no WebSocket online (send at least every 10 s)."""
    agent = hub.agents.resolve(agent_id)
    hub.agents.check_may_change(actor, agent.id)
    return hub.presence.heartbeat(agent.id)


@handles("agent:register")
async def ws_register(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """Start the stream: subscribe, replay from `since` (or the stored cursor), then go live."""
    if conn.registered:
        raise Conflict("this connection is already registered", code="already_registered")
    since = data.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        raise InvalidField("since must be a seq (an integer, 0 or more)", code="invalid_seq")
    subscriptions = data.get("subscriptions") or []
    if not isinstance(subscriptions, list) or not all(isinstance(s, str) for s in subscriptions):
        raise InvalidField("subscriptions must be a list of channel names", code="invalid_channel")
    await conn.hub.messages.subscribe_all(conn.actor, subscriptions)
    conn.registered = True
    await conn.hub.messages.open_session(conn.actor, since, conn.session)
    agent = None if conn.actor.agent_id is None else conn.hub.agents.get(conn.actor.agent_id)
    return {
        "agent": agent.model_dump(mode="json") if agent else None,
        "since": since,
        "replayed_to": conn.session.last_seq,
        "subscriptions": [s.pattern for s in conn.hub.messages.subscriptions(conn.actor.agent_id or "")],
    }


@handles("agent:heartbeat")
async def ws_heartbeat(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    agent = conn.hub.presence.heartbeat(conn.agent_id)
    return {"status": agent.status.value}
