"""agenthub: a local-first hub through which AI agents and their people talk, split work and share state.

`import agenthub` stays light: the SDK clients and wire models load on first use, and
nothing here pulls in the server or a database driver.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agenthub.errors import (
    AgentHubError,
    BadRequest,
    Conflict,
    Forbidden,
    HubUnavailable,
    InvalidField,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
)

if TYPE_CHECKING:
    from agenthub.client import AgentClient, Client, MessageAck
    from agenthub.models import (
        Agent,
        AgentStatus,
        Channel,
        Message,
        MessageType,
        Receipt,
        Subscription,
        Task,
        TaskStatus,
    )

__version__ = "0.1.0"

_LAZY = {
    "AgentClient": "agenthub.client",
    "Client": "agenthub.client",
    "MessageAck": "agenthub.client",
    "Agent": "agenthub.models",
    "AgentStatus": "agenthub.models",
    "Channel": "agenthub.models",
    "Message": "agenthub.models",
    "MessageType": "agenthub.models",
    "Receipt": "agenthub.models",
    "Subscription": "agenthub.models",
    "Task": "agenthub.models",
    "TaskStatus": "agenthub.models",
}

__all__ = [
    "Agent",
    "AgentClient",
    "AgentHubError",
    "AgentStatus",
    "BadRequest",
    "Channel",
    "Client",
    "Conflict",
    "Forbidden",
    "HubUnavailable",
    "InvalidField",
    "Message",
    "MessageAck",
    "MessageType",
    "NotFound",
    "RateLimited",
    "Receipt",
    "Subscription",
    "Task",
    "TaskStatus",
    "TooLarge",
    "Unauthorized",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agenthub' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
