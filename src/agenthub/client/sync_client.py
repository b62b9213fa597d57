"""`Client`: the sync SDK for scripts. HTTP only; the same calls as `AgentClient`, from the same core."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import httpx

from agenthub._local import default_url, read_local_token
from agenthub.client._core import Call, Calls, MessageAck, decode_body, message_body, raise_for_status
from agenthub.client._tasks import TaskCalls
from agenthub.client.coordination import SyncCoordination
from agenthub.client.tasks import SyncTaskMethods
from agenthub.errors import HubUnavailable, Unauthorized
from agenthub.models import Agent, AgentStatus, Channel, HubStatus, Message, Subscription

T = TypeVar("T")


class Client(SyncCoordination, SyncTaskMethods):
    """A blocking client. `Client()` acts as the operator with the local hub token;
    `Client.for_agent("name")` registers (or reuses) an agent and acts as it."""

    def __init__(
        self,
        server_url: str | None = None,
        *,
        token: str | None = None,
        data_dir: Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.server_url = (server_url or default_url()).rstrip("/")
        self._token = token or read_local_token(data_dir)
        self._data_dir = data_dir
        self._http = httpx.Client(base_url=self.server_url, timeout=timeout)
        self.agent: Agent | None = None
        self._task_calls = TaskCalls()

    @classmethod
    def for_agent(
        cls,
        name: str,
        agent_type: str = "script",
        server_url: str | None = None,
        *,
        hub_token: str | None = None,
        capabilities: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        data_dir: Path | None = None,
        timeout: float = 30.0,
    ) -> Client:
        client = cls(server_url, token=hub_token, data_dir=data_dir, timeout=timeout)
        client.register(name, agent_type, capabilities=capabilities, metadata=metadata)
        return client

    def register(
        self,
        name: str,
        agent_type: str = "script",
        *,
        capabilities: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Agent:
        """Register (or reuse) an agent with the hub token; from then on this client acts as that agent."""
        body = self._call(Calls.register(name, agent_type, capabilities, metadata))
        self._token = str(body["token"])
        self.agent = Agent.model_validate(body["agent"])
        return self.agent

    @property
    def token(self) -> str | None:
        return self._token

    @property
    def id(self) -> str:
        if self.agent is None:
            raise Unauthorized("this client acts as the operator, not an agent", code="not_registered")
        return self.agent.id

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, call: Call[T]) -> T:
        if self._token is None:
            raise Unauthorized("no token: pass token=, set AGENTHUB_TOKEN, or run the hub locally", code="no_token")
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            response = self._http.request(call.method, call.path, params=call.params, json=call.json, headers=headers)
        except httpx.TransportError as exc:
            raise HubUnavailable(f"cannot reach the hub at {self.server_url}: {exc}") from None
        body = decode_body(response.content)
        raise_for_status(response.status_code, body)
        return call.parse(response.status_code, body)

    def whoami(self) -> Agent | None:
        return self._call(Calls.whoami())

    def send_message(
        self, content: str, *, recipients: list[str] | None = None, channel: str | None = None, **fields: Any
    ) -> MessageAck:
        message = self._call(Calls.send(message_body(content, channel=channel, recipients=recipients, **fields)))
        return MessageAck(id=message.id, seq=message.seq, duplicate=message.duplicate)

    def send_messages(self, messages: list[dict[str, Any]]) -> list[Message]:
        return self._call(Calls.send_batch([message_body(**m) for m in messages]))

    def history(self, channel: str | None = None, **filters: Any) -> list[Message]:
        return self._call(Calls.history(channel, **filters))

    def get_message(self, message_id: str) -> Message:
        return self._call(Calls.message(message_id))

    def delete_message(self, message_id: str) -> None:
        self._call(Calls.delete_message(message_id))

    def mark_read(self, message_id: str) -> Message:
        return self._call(Calls.mark_read(message_id))

    def inbox(self, limit: int = 50, wait: float = 0) -> list[Message]:
        return self._call(Calls.inbox(limit, wait))

    def ack(self, seq: int) -> int:
        return self._call(Calls.ack(seq))

    def search(self, text: str, limit: int = 50) -> list[Message]:
        return self._call(Calls.search(text, limit))

    def subscribe(self, channel: str) -> Subscription:
        return self._call(Calls.subscribe(channel))

    def unsubscribe(self, channel: str) -> bool:
        return self._call(Calls.unsubscribe(channel))

    def channels(self) -> list[Channel]:
        return self._call(Calls.channels())

    def list_agents(self, online: bool = False) -> list[Agent]:
        return self._call(Calls.agents(online))

    def get_agent(self, agent: str) -> Agent:
        return self._call(Calls.agent(agent))

    def set_status(self, status: AgentStatus | str) -> Agent:
        return self._call(Calls.set_status(self.id, status))

    def heartbeat(self) -> Agent:
        return self._call(Calls.heartbeat(self.id))

    def status(self) -> HubStatus:
        return self._call(Calls.status())
