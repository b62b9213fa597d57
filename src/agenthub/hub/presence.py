"""Presence: an agent is online while it has a live connection or keeps heartbeating."""

from __future__ import annotations

import contextlib
import time

from agenthub._time import now_iso, utcnow
from agenthub.errors import StorageUnavailable
from agenthub.hub.agents import Agents
from agenthub.hub.background import Repeating
from agenthub.hub.delivery import Router, event_frame
from agenthub.models import Agent, AgentStatus
from agenthub.storage import Storage


def _presence(agent: Agent) -> dict[str, object]:
    """The small form of an agent that presence events carry (every connection gets one per join or leave)."""
    return {
        "id": agent.id,
        "name": agent.name,
        "type": agent.type,
        "status": agent.status.value,
        "last_seen": agent.last_seen,
    }


class Presence:
    def __init__(self, storage: Storage, agents: Agents, router: Router, *, offline_after: float, sweep: float) -> None:
        self._storage = storage
        self._agents = agents
        self._router = router
        self._offline_after = offline_after
        self._connections: dict[str, int] = {}
        self._beats: dict[str, float] = {}  # agent id -> monotonic time of the last heartbeat
        self._dirty: dict[str, tuple[AgentStatus, str]] = {}
        self._sweeper = Repeating(sweep, {"the presence sweep": self._sweep_once})

    async def start(self) -> None:
        # Nobody is connected to a hub that just started: whatever the last run left says "online" is stale.
        stale = {a.id: (AgentStatus.offline, now_iso()) for a in self._agents.all() if a.status != AgentStatus.offline}
        for agent_id in stale:
            self._agents.set_live(agent_id, AgentStatus.offline, self._agents.get(agent_id).last_seen)
        if stale:
            await self._storage.set_presence(stale)
        self._sweeper.start()

    async def stop(self) -> None:
        await self._sweeper.stop()
        with contextlib.suppress(StorageUnavailable):  # it cannot be kept: the hub stops all the same
            await self.flush()

    def is_live(self, agent_id: str) -> bool:
        if self._connections.get(agent_id):
            return True
        beat = self._beats.get(agent_id)
        return beat is not None and time.monotonic() - beat < self._offline_after

    def connected(self, agent_id: str) -> None:
        self._connections[agent_id] = self._connections.get(agent_id, 0) + 1
        self.heartbeat(agent_id)

    def disconnected(self, agent_id: str) -> None:
        left = self._connections.get(agent_id, 1) - 1
        if left > 0:
            self._connections[agent_id] = left
            return
        self._connections.pop(agent_id, None)
        self._beats.pop(agent_id, None)
        if self._agents.exists(agent_id):
            self._change(agent_id, AgentStatus.offline)

    def heartbeat(self, agent_id: str) -> Agent:
        self._beats[agent_id] = time.monotonic()
        agent = self._agents.get(agent_id)
        status = AgentStatus.online if agent.status == AgentStatus.offline else agent.status
        return self._change(agent_id, status)

    def set_status(self, agent_id: str, status: AgentStatus) -> Agent:
        """The agent's own word on its status; `offline` from a live agent is kept until it proves otherwise."""
        if status != AgentStatus.offline:
            self._beats[agent_id] = time.monotonic()
        return self._change(agent_id, status)

    def forget(self, agent_id: str) -> None:
        self._connections.pop(agent_id, None)
        self._beats.pop(agent_id, None)
        self._dirty.pop(agent_id, None)

    def _change(self, agent_id: str, status: AgentStatus) -> Agent:
        before = self._agents.get(agent_id)
        seen = utcnow()
        agent = self._agents.set_live(agent_id, status, seen)
        self._dirty[agent_id] = (status, now_iso())
        if (before.status == AgentStatus.offline) != (status == AgentStatus.offline):
            event = "agent:left" if status == AgentStatus.offline else "agent:joined"
            self._router.broadcast(event_frame(event, _presence(agent)))
        return agent

    async def flush(self) -> None:
        dirty, self._dirty = self._dirty, {}
        dirty = {agent_id: change for agent_id, change in dirty.items() if self._agents.exists(agent_id)}
        if dirty:
            await self._storage.set_presence(dirty)

    def sweep(self) -> None:
        """Mark agents offline whose heartbeats stopped and who have no live connection."""
        for agent in self._agents.online():
            if not self.is_live(agent.id):
                self._beats.pop(agent.id, None)
                self._change(agent.id, AgentStatus.offline)

    async def _sweep_once(self) -> None:
        self.sweep()
        await self.flush()
