"""Agents: registration, the in-memory directory, and token authentication."""

from __future__ import annotations

from typing import Any

from agenthub._ids import new_id
from agenthub._time import now_iso
from agenthub.errors import Forbidden, NotFound, Unauthorized
from agenthub.hub.auth import OPERATOR_ACTOR, Actor, hash_token, new_token, same_token
from agenthub.hub.limits import check_json_size
from agenthub.models import Agent, AgentStatus, AgentUpdate, RegisterRequest
from agenthub.storage import NewAgent, Storage


class Agents:
    """The agent directory. Every agent is mirrored in memory, so lookups on hot paths never touch the disk."""

    def __init__(
        self, storage: Storage, hub_token: str, *, open_access: bool = False, max_metadata_bytes: int = 64 * 1024
    ) -> None:
        self._storage = storage
        self._max_metadata = max_metadata_bytes
        self._hub_token = hub_token
        self._open = open_access
        self._by_id: dict[str, Agent] = {}
        self._by_name: dict[str, str] = {}
        self._tokens: dict[str, str] = {}  # token hash -> agent id, filled as tokens are seen

    async def load(self) -> None:
        for agent in await self._storage.list_agents():
            self._remember(agent)

    def _remember(self, agent: Agent) -> Agent:
        self._by_id[agent.id] = agent
        self._by_name[agent.name] = agent.id
        return agent

    # -- authentication --------------------------------------------------------------------------------

    async def authenticate(self, token: str | None) -> Actor:
        if not token:
            if self._open:
                return OPERATOR_ACTOR
            raise Unauthorized()
        if same_token(token, self._hub_token):
            return OPERATOR_ACTOR
        digest = hash_token(token)
        agent_id = self._tokens.get(digest)
        if agent_id is None:
            agent_id = await self._storage.agent_id_for_token(digest)
            if agent_id is None or agent_id not in self._by_id:
                raise Unauthorized("this token is not known to the hub: register again for a new one", code="bad_token")
            self._tokens[digest] = agent_id
        agent = self._by_id.get(agent_id)
        if agent is None:
            raise Unauthorized("this token's agent was deleted", code="bad_token")
        return Actor(agent_id=agent.id, name=agent.name)

    # -- directory -------------------------------------------------------------------------------------

    def get(self, agent_id: str) -> Agent:
        agent = self._by_id.get(agent_id)
        if agent is None:
            raise NotFound(f"no agent has id {agent_id!r}", code="agent_not_found")
        return agent

    def resolve(self, id_or_name: str) -> Agent:
        """An agent by id, or else by name."""
        agent_id = id_or_name if id_or_name in self._by_id else self._by_name.get(id_or_name)
        if agent_id is None:
            raise NotFound(f"no agent has id or name {id_or_name!r}", code="agent_not_found")
        return self._by_id[agent_id]

    def exists(self, agent_id: str) -> bool:
        return agent_id in self._by_id

    def all(self) -> list[Agent]:
        return list(self._by_id.values())

    def online(self) -> list[Agent]:
        return [agent for agent in self._by_id.values() if agent.status != AgentStatus.offline]

    # -- changes ---------------------------------------------------------------------------------------

    async def register(self, actor: Actor, request: RegisterRequest) -> tuple[Agent, str, bool]:
        if not actor.is_operator:
            raise Forbidden("registering agents takes the hub token", code="operator_only")
        check_json_size(request.metadata, self._max_metadata, "metadata")
        if request.parent_id is not None:
            self.get(request.parent_id)
        token = new_token("agt")
        agent, created = await self._storage.register_agent(
            NewAgent(
                id=new_id(),
                name=request.name,
                type=request.type,
                capabilities=request.capabilities,
                metadata=request.metadata,
                parent_id=request.parent_id,
                token_hash=hash_token(token),
                created_at=now_iso(),
                given=frozenset(request.model_fields_set & {"type", "capabilities", "metadata"}),
            )
        )
        previous = self._by_id.get(agent.id)
        if previous is not None:  # keep live presence: the stored row may lag behind it
            agent = agent.model_copy(update={"status": previous.status, "last_seen": previous.last_seen})
        self._remember(agent)
        self._tokens[hash_token(token)] = agent.id
        return agent, token, created

    def check_may_change(self, actor: Actor, agent_id: str) -> None:
        if not actor.is_operator and actor.agent_id != agent_id:
            raise Forbidden("an agent may change only itself", code="not_yourself")

    async def update(self, actor: Actor, agent_id: str, update: AgentUpdate) -> Agent:
        self.get(agent_id)
        self.check_may_change(actor, agent_id)
        if update.metadata is not None:
            check_json_size(update.metadata, self._max_metadata, "metadata")
        stored = await self._storage.update_agent(agent_id, update.model_dump(exclude_none=True), actor.agent_id)
        if stored is None:
            raise NotFound(f"no agent has id {agent_id!r}", code="agent_not_found")
        current = self._by_id[agent_id]
        return self._remember(stored.model_copy(update={"status": current.status, "last_seen": current.last_seen}))

    def set_live(self, agent_id: str, status: AgentStatus, last_seen: Any) -> Agent:
        """Presence's view of an agent changed (no storage write: presence batches those)."""
        agent = self._by_id[agent_id].model_copy(update={"status": status, "last_seen": last_seen})
        return self._remember(agent)

    async def delete(self, actor: Actor, agent_id: str) -> Agent:
        agent = self.get(agent_id)
        self.check_may_change(actor, agent_id)
        await self._storage.delete_agent(agent_id, actor.agent_id)
        del self._by_id[agent_id]
        self._by_name.pop(agent.name, None)
        for digest in [d for d, owner in self._tokens.items() if owner == agent_id]:
            del self._tokens[digest]
        return agent
