"""Health, status and Prometheus metrics."""

from __future__ import annotations

import gc

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from agenthub.hub import VERSION
from agenthub.models import HubStatus
from agenthub.server.deps import CurrentActor, HubDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness, without auth."""
    return {"status": "ok", "version": VERSION}  # no database work: polled often, must stay cheap


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
