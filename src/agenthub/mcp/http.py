"""`/mcp` on the hub: the tools over streamable HTTP, acting as the agent whose token is the bearer.

Each tool call goes through the hub's own HTTP API in-process (`httpx.ASGITransport`), with the caller's
token, so the same tool code serves stdio and HTTP and every rule, limit and error stays the hub's.
The transport is stateless (no MCP session survives a request), so a hub restart costs clients nothing.
The MCP session manager has a lifespan of its own: `mount_mcp` returns it for the hub's lifespan to run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import httpx
from mcp.server.mcpserver import Context
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from agenthub.client import AgentClient
from agenthub.errors import AgentHubError
from agenthub.hub import Hub
from agenthub.mcp.messaging import MAX_WAIT
from agenthub.mcp.server import build_server
from agenthub.settings import HubSettings, is_loopback

PATH = "/mcp"
_LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
_LOCAL_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


def mount_mcp(app: Starlette, hub: Hub, settings: HubSettings) -> AbstractAsyncContextManager[None]:
    """Route `/mcp` to the MCP server; the returned context manager must run inside the hub's lifespan."""
    transport = httpx.ASGITransport(app=app)

    @contextlib.asynccontextmanager
    async def source(ctx: Context) -> AsyncIterator[AgentClient]:
        token = bearer((ctx.headers or {}).get("authorization", ""))
        agent = AgentClient(server_url="http://agenthub", agent_token=token, transport=transport, timeout=MAX_WAIT + 30)
        try:
            yield agent
        finally:
            await agent.close()

    server = build_server(source)
    # Only to build the session manager: the route is ours, so `/mcp` needs no trailing slash and is guarded.
    server.streamable_http_app(stateless_http=True, transport_security=_security(settings))
    app.router.routes.append(Route(PATH, endpoint=BearerGate(StreamableHTTPASGIApp(server.session_manager), hub)))
    return server.session_manager.run()


def bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _security(settings: HubSettings) -> TransportSecuritySettings:
    """On loopback, refuse other Host and Origin headers (DNS rebinding); elsewhere the bearer token guards."""
    if is_loopback(settings.host):
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=_LOCAL_HOSTS, allowed_origins=_LOCAL_ORIGINS
        )
    return TransportSecuritySettings(enable_dns_rebinding_protection=False)


class BearerGate:
    """Refuses a request without a valid token with the hub's 401 before it reaches the MCP server, and any
    method but POST with 405: a stateless server pushes nothing, so it offers no GET stream (as the MCP
    transport allows), and no connection is left open waiting for one."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        try:
            await self.hub.agents.authenticate(bearer(authorization.decode("latin-1")))
        except AgentHubError as exc:
            refusal = JSONResponse(exc.to_body(), status_code=exc.status, headers={"WWW-Authenticate": "Bearer"})
            await refusal(scope, receive, send)
            return
        if scope.get("method") != "POST":
            body = {"error": {"code": "method_not_allowed", "message": "send MCP requests with POST", "details": None}}
            await JSONResponse(body, status_code=405, headers={"Allow": "POST"})(scope, receive, send)
            return
        await self.app(scope, receive, send)
