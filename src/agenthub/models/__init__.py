"""Wire models: the JSON shapes of shared/PROTOCOL.md, shared by the hub and the SDK. One module per feature."""

from agenthub.models.agents import Agent, AgentStatus, AgentUpdate, RegisterRequest, RegisterResponse, StatusUpdate
from agenthub.models.approvals import Approval, ApprovalDecision, ApprovalRequest, ApprovalStatus
from agenthub.models.audit import AuditEntry, AuditVerification, DecisionLog
from agenthub.models.common import (
    CHANNEL_RE,
    ChannelName,
    JsonObject,
    Text,
    Wire,
    check_channel,
    check_subscription,
    covers,
)
from agenthub.models.hung import HungAgent
from agenthub.models.locks import Lock, LockMode, LockRenew, LockRequest
from agenthub.models.memory import (
    AccessControl,
    Memory,
    MemoryChange,
    MemoryCreate,
    MemoryEvent,
    MemoryUpdate,
    MemoryVersion,
    WatchRequest,
    WatchStarted,
    check_key,
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
from agenthub.models.threads import Reply, ReplyCreate, Thread, ThreadCreate, ThreadPriority

__all__ = [
    "CHANNEL_RE",
    "AccessControl",
    "Agent",
    "AgentStatus",
    "AgentUpdate",
    "Approval",
    "ApprovalDecision",
    "ApprovalRequest",
    "ApprovalStatus",
    "AuditEntry",
    "AuditVerification",
    "Channel",
    "ChannelName",
    "DecisionLog",
    "HubStatus",
    "HungAgent",
    "JsonObject",
    "Lock",
    "LockMode",
    "LockRenew",
    "LockRequest",
    "Memory",
    "MemoryChange",
    "MemoryCreate",
    "MemoryEvent",
    "MemoryUpdate",
    "MemoryVersion",
    "Message",
    "MessageBatch",
    "MessageCreate",
    "MessageType",
    "Receipt",
    "RegisterRequest",
    "RegisterResponse",
    "Reply",
    "ReplyCreate",
    "StatusUpdate",
    "SubscribeRequest",
    "Subscription",
    "Text",
    "Thread",
    "ThreadCreate",
    "ThreadPriority",
    "WatchRequest",
    "WatchStarted",
    "Wire",
    "check_channel",
    "check_key",
    "check_subscription",
    "covers",
]
