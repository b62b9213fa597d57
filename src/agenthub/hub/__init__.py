"""The domain: one small module per feature behind the `Hub` facade. Nothing here knows about HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from agenthub.hub.agents import Agents
from agenthub.hub.approvals import Approvals
from agenthub.hub.audit import AuditLog
from agenthub.hub.auth import OPERATOR_ACTOR, Actor, ensure_hub_token
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

log = logging.getLogger(__name__)
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
        self._maintenance: asyncio.Task[None] | None = None
        self._expiry: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.storage.open()
        await self.agents.load()
        self.router.last_seq = (await self.storage.counts())["last_seq"]
        self.router.load(await self.storage.list_subscriptions())
        await self.presence.start()
        await self.tasks.open()
        self._maintenance = asyncio.create_task(self._maintain())
        self._expiry = asyncio.create_task(self._expire_forever())

    async def stop(self) -> None:
        for task in (self._maintenance, self._expiry):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
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
        return HubStatus(
            status="ok",
            version=VERSION,
            agents=counts["agents"],
            online_agents=len(self.agents.online()),
            channels=counts["channels"],
            messages=counts["messages"],
            last_seq=counts["last_seq"],
            uptime_seconds=round(time.monotonic() - self.started_at, 3),
        )

    async def _maintain(self) -> None:
        while True:
            try:
                await self.messages.prune()
            except Exception:  # maintenance must outlive one bad pass
                log.exception("pruning the dedup window failed")
            await asyncio.sleep(PRUNE_EVERY)

    async def _expire_forever(self) -> None:
        """Lapse memory keys, locks and approval requests whose time is up (each tells whoever waits)."""
        while True:
            await asyncio.sleep(self.settings.expiry_sweep_interval)
            for sweep in (self.memory.sweep, self.locks.sweep, self.approvals.sweep):
                try:
                    await sweep()
                except Exception:  # the sweeper must outlive one bad pass
                    log.exception("expiry sweep failed")
