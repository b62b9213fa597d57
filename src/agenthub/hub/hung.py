"""Hung agents: agents that hold work (active tasks or live locks) but are no longer live."""

from __future__ import annotations

from agenthub._time import now_iso
from agenthub.hub.agents import Agents
from agenthub.hub.presence import Presence
from agenthub.models import HungAgent
from agenthub.storage import Storage


class HungAgents:
    def __init__(self, storage: Storage, agents: Agents, presence: Presence) -> None:
        self._storage = storage
        self._agents = agents
        self._presence = presence

    async def list_hung(self) -> list[HungAgent]:
        """Holders of work with no live connection and no heartbeat within the offline threshold,
        longest silent first."""
        hung = [
            HungAgent(agent=self._agents.get(agent_id), tasks=tasks, locks=locks)
            for agent_id, (tasks, locks) in (await self._storage.work_held(now_iso())).items()
            if self._agents.exists(agent_id) and not self._presence.is_live(agent_id)
        ]
        return sorted(hung, key=lambda h: (h.agent.last_seen.timestamp() if h.agent.last_seen else 0.0, h.agent.name))
