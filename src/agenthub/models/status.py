"""The hub's own status on the wire."""

from __future__ import annotations

from agenthub.models.common import Wire


class HubStatus(Wire):
    status: str
    version: str
    agents: int
    online_agents: int
    channels: int
    messages: int
    last_seq: int
    uptime_seconds: float
