"""Health, status and Prometheus metrics."""

from __future__ import annotations

import gc

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from agenthub.hub import VERSION
from agenthub.models import ErrorBody, HubStatus
from agenthub.server.deps import CurrentActor, HubDep
from agenthub.server.errors import error_response

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=dict[str, str],
    responses={503: {"model": ErrorBody, "description": "the hub can no longer store anything: restart it"}},
)
async def health(hub: HubDep) -> dict[str, str] | Response:
    """Liveness, without auth: 200, or 503 when the hub can no longer store what it is sent."""
    failure = hub.storage.failure  # no database work: polled often, must stay cheap
    if failure is not None:
        return error_response(failure)
    return {"status": "ok", "version": VERSION}


@router.get("/api/status")
async def hub_status(_: CurrentActor, hub: HubDep) -> HubStatus:
    return await hub.status()


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request, hub: HubDep) -> str:
    """Prometheus text format."""
    current = await hub.status()
    sessions = sum(1 for _ in hub.router.all_sessions())
    lines = [
        (
            "agenthub_messages_published_total",
            "counter",
            "messages stored since the hub started",
            hub.messages.published,
        ),
        ("agenthub_messages_stored", "gauge", "messages in storage", current.messages),
        ("agenthub_last_seq", "gauge", "the highest stream seq", current.last_seq),
        ("agenthub_agents", "gauge", "registered agents", current.agents),
        ("agenthub_agents_online", "gauge", "agents online", current.online_agents),
        ("agenthub_channels", "gauge", "channels", current.channels),
        ("agenthub_websocket_sessions", "gauge", "open WebSocket connections", sessions),
        (
            "agenthub_waiting_requests",
            "gauge",
            "HTTP requests waiting (long polls, blocking locks, approval waits)",
            request.app.state.waiting_requests,
        ),
        ("agenthub_uptime_seconds", "gauge", "seconds since the hub started", current.uptime_seconds),
        (
            "agenthub_storage_failed",
            "gauge",
            "1 when the hub can no longer store anything (see /health), else 0",
            int(current.status != "ok"),
        ),
        ("agenthub_gc_frozen_objects", "gauge", "objects kept out of garbage collection", gc.get_freeze_count()),
    ]
    body = "".join(f"# HELP {name} {text}\n# TYPE {name} {kind}\n{name} {value}\n" for name, kind, text, value in lines)
    return body + "".join(
        [
            "# HELP python_gc_collections_total collections of each generation since the process started\n",
            "# TYPE python_gc_collections_total counter\n",
            *(
                f'python_gc_collections_total{{generation="{generation}"}} {stats["collections"]}\n'
                for generation, stats in enumerate(gc.get_stats())
            ),
        ]
    )
