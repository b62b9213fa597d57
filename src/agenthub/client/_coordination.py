"""The sans-IO core of the coordination calls (memory, locks, threads, approvals, audit), shared by
`AgentClient` and `Client`: what to send, how to read the answer, and the timing rules of the helpers
(`lock_file` renewal, `request_approval` polling)."""

from __future__ import annotations

from typing import Any

from agenthub._time import utcnow
from agenthub.client._core import Call, _list, _model, _none, path_part
from agenthub.models import (
    AccessControl,
    Approval,
    ApprovalStatus,
    AuditEntry,
    Lock,
    LockMode,
    Memory,
    MemoryVersion,
    Reply,
    Thread,
)

LONG_POLL = 20.0
"""Seconds per long poll while waiting for an approval decision (under the clients' default 30 s timeout)."""


def renew_every(ttl_seconds: float) -> float:
    """How often a held lock is renewed: three times per ttl, so one late renewal does not lose it."""
    return max(ttl_seconds / 3, 0.05)


def next_poll(approval: Approval) -> float | None:
    """Seconds to long-poll next for a decision, or None once the request is decided or expired."""
    if approval.status != ApprovalStatus.pending:
        return None
    left = (approval.expires_at - utcnow()).total_seconds()
    return min(LONG_POLL, max(left, 0.0) + 1.0)


def _clean(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


class CoordinationCalls:
    """Every HTTP operation of memory, locks, threads, approvals and the audit log."""

    @staticmethod
    def set_memory(
        key: str,
        value: Any,
        *,
        if_version: int | None = None,
        ttl_seconds: float | None = None,
        access_control: AccessControl | dict[str, list[str]] | None = None,
    ) -> Call[Memory]:
        acl = access_control.model_dump() if isinstance(access_control, AccessControl) else access_control
        body = {"value": value} | _clean(if_version=if_version, ttl_seconds=ttl_seconds, access_control=acl)
        return Call("PUT", f"/api/memory/key/{path_part(key)}", _model(Memory), json=body)

    @staticmethod
    def get_memory(key: str) -> Call[Memory]:
        return Call("GET", f"/api/memory/key/{path_part(key)}", _model(Memory))

    @staticmethod
    def delete_memory(key: str, if_version: int | None = None) -> Call[None]:
        params = _clean(if_version=if_version) or None
        return Call("DELETE", f"/api/memory/key/{path_part(key)}", _none, params=params)

    @staticmethod
    def list_memory(prefix: str = "", limit: int = 1000) -> Call[list[Memory]]:
        return Call("GET", "/api/memory", _list(Memory), params={"prefix": prefix, "limit": limit})

    @staticmethod
    def memory_history(key: str, limit: int = 1000) -> Call[list[MemoryVersion]]:
        return Call("GET", f"/api/memory/history/{path_part(key)}", _list(MemoryVersion), params={"limit": limit})

    @staticmethod
    def acquire_lock(
        resource: str,
        *,
        intent: str | None = None,
        ttl_seconds: float = 60.0,
        mode: LockMode | str = LockMode.exclusive,
        wait_seconds: float = 0.0,
    ) -> Call[Lock]:
        body = {"resource": resource, "ttl_seconds": ttl_seconds, "mode": str(mode), "wait_seconds": wait_seconds}
        return Call("POST", "/api/locks", _model(Lock), json=body | _clean(intent=intent))

    @staticmethod
    def renew_lock(lock_id: str, ttl_seconds: float | None = None) -> Call[Lock]:
        return Call(
            "POST", f"/api/locks/{path_part(lock_id)}/renew", _model(Lock), json=_clean(ttl_seconds=ttl_seconds)
        )

    @staticmethod
    def release_lock(lock_id: str) -> Call[None]:
        return Call("DELETE", f"/api/locks/{path_part(lock_id)}", _none)

    @staticmethod
    def list_locks(resource: str | None = None, limit: int = 1000) -> Call[list[Lock]]:
        return Call("GET", "/api/locks", _list(Lock), params=_clean(resource=resource) | {"limit": limit})

    @staticmethod
    def post_thread(title: str, content: str, priority: str = "normal", channel: str | None = None) -> Call[Thread]:
        body = {"title": title, "content": content, "priority": priority} | _clean(channel=channel)
        return Call("POST", "/api/threads", _model(Thread), json=body)

    @staticmethod
    def reply(thread_id: str, content: str) -> Call[Reply]:
        return Call("POST", f"/api/threads/{path_part(thread_id)}/replies", _model(Reply), json={"content": content})

    @staticmethod
    def get_thread(thread_id: str) -> Call[Thread]:
        return Call("GET", f"/api/threads/{path_part(thread_id)}", _model(Thread))

    @staticmethod
    def list_threads(channel: str | None = None, limit: int = 50) -> Call[list[Thread]]:
        return Call("GET", "/api/threads", _list(Thread), params=_clean(channel=channel) | {"limit": limit})

    @staticmethod
    def create_approval(action: str, details: dict[str, Any] | None = None, timeout: float = 3600.0) -> Call[Approval]:
        body = {"action": action, "details": details or {}, "timeout_seconds": timeout}
        return Call("POST", "/api/approvals", _model(Approval), json=body)

    @staticmethod
    def get_approval(approval_id: str, wait: float = 0.0) -> Call[Approval]:
        return Call("GET", f"/api/approvals/{path_part(approval_id)}", _model(Approval), params={"wait": wait})

    @staticmethod
    def decide(approval_id: str, approve: bool, reason: str | None = None) -> Call[Approval]:
        verb = "approve" if approve else "deny"
        return Call(
            "POST", f"/api/approvals/{path_part(approval_id)}/{verb}", _model(Approval), json=_clean(reason=reason)
        )

    @staticmethod
    def list_approvals(status: ApprovalStatus | str | None = None, limit: int = 50) -> Call[list[Approval]]:
        params = _clean(status=str(status) if status is not None else None) | {"limit": limit}
        return Call("GET", "/api/approvals", _list(Approval), params=params)

    @staticmethod
    def log_decision(decision_type: str, context: str, reason: str) -> Call[AuditEntry]:
        body = {"decision_type": decision_type, "context": context, "reason": reason}
        return Call("POST", "/api/audit", _model(AuditEntry), json=body)

    @staticmethod
    def audit(
        actor_id: str | None = None, action: str | None = None, since: str | None = None, limit: int = 50
    ) -> Call[list[AuditEntry]]:
        params = _clean(actor_id=actor_id, action=action, since=since) | {"limit": limit}
        return Call("GET", "/api/audit", _list(AuditEntry), params=params)
