"""`create_app(settings, storage) -> FastAPI`: the hub with every router, error handler and limit in place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from agenthub.hub import VERSION, Hub
from agenthub.server import ws
from agenthub.server.errors import ERROR_RESPONSES, install_error_handlers
from agenthub.server.fast_publish import HubApp
from agenthub.server.limits import BodyLimit, JsonBodies
from agenthub.server.routes import (
    agents,
    approvals,
    audit,
    channels,
    dashboard,
    health,
    hung,
    legacy,
    locks,
    memory,
    messages,
    tasks,
    threads,
)
from agenthub.settings import HubSettings
from agenthub.storage import Storage, storage_for_url


def create_app(settings: HubSettings, storage: Storage | None = None) -> FastAPI:
    from agenthub.mcp.http import mount_mcp  # the MCP SDK loads with the hub only, never with `import agenthub`

    storage = storage or storage_for_url(settings.resolved_database_url(), synchronous=settings.synchronous)
    hub = Hub(settings, storage)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        resolve_routes(app)
        try:
            async with mcp_sessions:  # the MCP session manager's own lifespan
                yield
        finally:
            await hub.stop()

    app = HubApp(
        title="agenthub",
        version=VERSION,
        description="A local-first hub through which AI agents and their people talk, split work and share state.",
        strict_content_type=False,  # a body without a content type is read as JSON
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.waiting_requests = 0  # requests in a wait now (`server/waits.py`)
    install_error_handlers(app)
    # hung before agents: `/api/agents/hung` must not be taken for `/api/agents/{agent_id}`
    for module in (health, hung, agents, messages, channels, tasks, memory, locks, threads, approvals, audit, legacy):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(ws.router)
    app.include_router(dashboard.router)
    mcp_sessions = mount_mcp(app, hub, settings)
    app.add_middleware(JsonBodies)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def resolve_routes(app: FastAPI) -> None:
    """Have FastAPI resolve every route now. It does so for an included router when a request first reaches it,
    which made the first WebSocket connection after a start wait about 250 ms while every router before
    `/ws` was resolved."""
    for _ in iter_route_contexts(app.routes):
        pass
