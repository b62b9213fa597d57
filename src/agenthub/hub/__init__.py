"""The domain: one small module per feature behind the `Hub` facade. Nothing here knows about HTTP."""

from __future__ import annotations

import time

from agenthub.hub.agents import Agents
from agenthub.hub.approvals import Approvals
from agenthub.hub.audit import AuditLog
from agenthub.hub.auth import OPERATOR_ACTOR, Actor, ensure_hub_token
from agenthub.hub.background import Repeating
from agenthub.hub.delivery import Router, Session
from agenthub.hub.hung import HungAgents
from agenthub.hub.locks import Locks
from agenthub.hub.memory import SharedMemory
from agenthub.hub.messages import Messages
from agenthub.hub.presence import Presence
from agenthub.hub.ratelimit import RateLimiter
from agenthub.hub.tasks import Tasks
from agenthub.hub.threads import Threads
from agenthub.models import Agent, HubStatus
from agenthub.settings import HubSettings
from agenthub.storage import Storage

__all__ = ["OPERATOR_ACTOR", "VERSION", "Actor", "Hub", "Session"]

VERSION = "0.1.0"
PRUNE_EVERY = 3600.0


class Hub:
    """Wires the features together and owns their lifecycle; routers call the features directly."""

    def __init__(self, settings: HubSettings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.hub_token = ensure_hub_token(settings.data_dir, settings.token)
        self.router = Router()
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_limit_burst)
        self.agents = Agents(
            storage, self.hub_token, open_access=settings.open, max_metadata_bytes=settings.max_metadata_bytes
        )
        self.messages = Messages(storage, self.agents, self.router, settings)
        self.presence = Presence(
            storage,
            self.agents,
            self.router,
            offline_after=settings.offline_after,
            sweep=settings.presence_sweep_interval,
        )
        self.memory = SharedMemory(storage, max_value_bytes=settings.max_memory_value_bytes)
        self.locks = Locks(storage)
        self.threads = Threads(storage)
        self.approvals = Approvals(storage, self.router)
        self.audit = AuditLog(storage)
        self.hung = HungAgents(storage, self.agents, self.presence)
        self.tasks = Tasks(storage, self.agents, self.presence, self.router, settings)
        self.started_at = time.monotonic()
        self._maintenance = Repeating(  # at start too: a hub restarted more often than hourly still prunes
            PRUNE_EVERY, {"pruning the dedup window": self.messages.prune}, right_away=True
        )
        self._expiry = Repeating(  # each tells whoever waits for what lapsed
            settings.expiry_sweep_interval,
            {
                "the memory expiry sweep": self.memory.sweep,
                "the lock expiry sweep": self.locks.sweep,
                "the approval expiry sweep": self.approvals.sweep,
            },
        )

    async def start(self) -> None:
        await self.storage.open()
        await self.agents.load()
        self.router.last_seq = (await self.storage.counts())["last_seq"]
        self.router.load(await self.storage.list_subscriptions())
        await self.presence.start()
        await self.tasks.open()
        self._maintenance.start()
        self._expiry.start()

    async def stop(self) -> None:
        await self._maintenance.stop()
        await self._expiry.stop()
        await self.tasks.close()
        await self.presence.stop()
        await self.storage.close()

    async def delete_agent(self, actor: Actor, agent_id: str) -> Agent:
        agent = await self.agents.delete(actor, agent_id)
        self.router.forget_agent(agent_id)
        self.presence.forget(agent_id)
        self.limiter.forget(agent_id)
        self.locks.freed()  # its locks went with it
        return agent

    async def status(self) -> HubStatus:
        counts = await self.storage.counts()
        failure = self.storage.failure
        return HubStatus(
            status="ok" if failure is None else failure.code,
            version=VERSION,
            agents=counts["agents"],
            online_agents=len(self.agents.online()),
            channels=counts["channels"],
            messages=counts["messages"],
            last_seq=counts["last_seq"],
            uptime_seconds=round(time.monotonic() - self.started_at, 3),
        )
