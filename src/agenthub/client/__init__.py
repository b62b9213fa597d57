"""The Python SDK: `AgentClient` (async, live stream) and `Client` (sync, for scripts)."""

from agenthub.client._core import MessageAck
from agenthub.client.async_client import AgentClient
from agenthub.client.sync_client import Client

__all__ = ["AgentClient", "Client", "MessageAck"]
