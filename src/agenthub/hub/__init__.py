"""The domain: one small module per feature behind the `Hub` facade. Nothing here knows about HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from agenthub.hub.agents import Agents
from agenthub.hub.auth import OPERATOR_ACTOR, Actor, ensure_hub_token
from agenthub.hub.delivery import Router, Session
from agenthub.hub.messages import Messages
from agenthub.hub.presence import Presence
from agenthub.hub.ratelimit import RateLimiter
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
        self.started_at = time.monotonic()
        self._maintenance: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.storage.open()
        await self.agents.load()
        self.messages.last_seq = (await self.storage.counts())["last_seq"]
        self.router.load(await self.storage.list_subscriptions())
        await self.presence.start()
        self._maintenance = asyncio.create_task(self._maintain())

    async def stop(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        await self.presence.stop()
        await self.storage.close()

    async def delete_agent(self, actor: Actor, agent_id: str) -> Agent:
        agent = await self.agents.delete(actor, agent_id)
        self.router.forget_agent(agent_id)
        self.presence.forget(agent_id)
        self.limiter.forget(agent_id)
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
