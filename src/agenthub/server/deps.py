"""Dependencies shared by the routers: the hub, the calling actor, list limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agenthub.hub import Actor, Hub

_bearer = HTTPBearer(auto_error=False, description="An agent token, or the hub (operator) token")


async def get_hub(request: Request) -> Hub:
    """Async, so FastAPI calls it in place: a plain function would cost a thread hop per request."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (perhaps empty); None for any other scheme. For
    the paths that read headers themselves (the WebSocket, the publish fast path); routes use `CurrentActor`."""
    return authorization[7:].strip() if authorization[:7].lower() == "bearer " else None


async def current_actor(
    hub: HubDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    actor = await hub.agents.authenticate(credentials.credentials if credentials else None)
    hub.limiter.check(actor)
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
Limit = Annotated[int, Query(ge=1, le=1000, description="how many at most")]
