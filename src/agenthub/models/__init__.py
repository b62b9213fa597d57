"""Wire models: the JSON shapes of shared/PROTOCOL.md, shared by the hub and the SDK. One module per feature."""

from agenthub.models.agents import Agent, AgentStatus, AgentUpdate, RegisterRequest, RegisterResponse, StatusUpdate
from agenthub.models.common import (
    CHANNEL_RE,
    ChannelName,
    ErrorBody,
    ErrorDetail,
    Wire,
    check_channel,
    check_subscription,
    covers,
)
from agenthub.models.messages import (
    Channel,
    Message,
    MessageBatch,
    MessageCreate,
    MessageType,
    Receipt,
    SubscribeRequest,
    Subscription,
)
from agenthub.models.status import HubStatus

__all__ = [
    "CHANNEL_RE",
    "Agent",
    "AgentStatus",
    "AgentUpdate",
    "Channel",
    "ChannelName",
    "ErrorBody",
    "ErrorDetail",
    "HubStatus",
    "Message",
    "MessageBatch",
    "MessageCreate",
    "MessageType",
    "Receipt",
    "RegisterRequest",
    "RegisterResponse",
    "StatusUpdate",
    "SubscribeRequest",
    "Subscription",
    "Wire",
    "check_channel",
    "check_subscription",
    "covers",
]
