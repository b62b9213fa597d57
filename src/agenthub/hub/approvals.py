"""Approvals: an agent asks before a risky action; the operator or another agent approves or denies.

The requester can never decide its own request. A request nobody decides lapses to `expired`. Every live
connection hears `approval:requested` and `approval:decided` (an expiry is a decision too)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from datetime import timedelta

import orjson

from agenthub._ids import new_id
from agenthub._time import TIMER_SLACK, now_iso, to_iso, utcnow
from agenthub.errors import Conflict, Forbidden, InvalidField, NotFound
from agenthub.hub.auth import Actor
from agenthub.hub.delivery import Router, event_frame
from agenthub.models import Approval, ApprovalRequest, ApprovalStatus
from agenthub.storage import NewApproval, Storage


def _not_found(approval_id: str) -> NotFound:
    return NotFound(f"no approval request has id {approval_id!r}", code="approval_not_found")


class Approvals:
    def __init__(self, storage: Storage, router: Router) -> None:
        self._storage = storage
        self._router = router
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    async def request(self, actor: Actor, body: ApprovalRequest) -> Approval:
        try:
            orjson.dumps(body.details)
        except orjson.JSONEncodeError as exc:  # e.g. an integer beyond 64 bits
            raise InvalidField(f"details cannot be stored as JSON: {exc}", code="invalid_details") from None
        now = utcnow()
        new = NewApproval(
            id=new_id(),
            action=body.action,
            details=body.details,
            requester_id=actor.agent_id,
            created_at=to_iso(now),
            expires_at=to_iso(now + timedelta(seconds=body.timeout_seconds)),
        )
        approval = await self._storage.create_approval(new)
        self._router.broadcast(event_frame("approval:requested", approval.model_dump(mode="json")))
        return approval

    async def get(self, approval_id: str, wait: float = 0.0) -> Approval:
        """The request; with `wait`, block up to that many seconds while it is pending."""
        approval = await self._storage.get_approval(approval_id)
        if approval is None:
            raise _not_found(approval_id)
        if approval.status != ApprovalStatus.pending or wait <= 0:
            return approval
        deadline = time.monotonic() + wait
        event = asyncio.Event()
        self._waiters[approval_id].add(event)
        try:
            while True:
                await self.sweep()
                approval = await self._storage.get_approval(approval_id)  # decided since the last read?
                assert approval is not None
                left = deadline - time.monotonic()
                if approval.status != ApprovalStatus.pending or left <= 0:
                    return approval
                until_lapse = (approval.expires_at - utcnow()).total_seconds() + TIMER_SLACK
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=max(0.0, min(left, until_lapse)))
        finally:
            waiters = self._waiters[approval_id]
            waiters.discard(event)
            if not waiters:
                del self._waiters[approval_id]

    async def list_approvals(self, status: ApprovalStatus | None, limit: int) -> list[Approval]:
        return await self._storage.list_approvals(status, limit)

    async def decide(self, actor: Actor, approval_id: str, approve: bool, reason: str | None) -> Approval:
        status = ApprovalStatus.approved if approve else ApprovalStatus.denied
        now = now_iso()

        def guard(approval: Approval | None) -> None:
            if approval is None:
                raise _not_found(approval_id)
            if approval.requester_id == actor.agent_id:
                raise Forbidden("the requester cannot decide its own approval request", code="own_request")
            if approval.status != ApprovalStatus.pending:
                raise Conflict(
                    f"the request is already {approval.status.value}",
                    code="already_decided",
                    details={"status": approval.status.value},
                )
            if to_iso(approval.expires_at) <= now:
                raise Conflict("the request has expired", code="already_decided", details={"status": "expired"})

        approval = await self._storage.decide_approval(approval_id, status, actor.agent_id, reason, now, guard)
        self._announce(approval)
        return approval

    async def sweep(self) -> None:
        now = now_iso()
        if await self._storage.approvals_due(now):
            for approval in await self._storage.expire_approvals(now):
                self._announce(approval)

    def _announce(self, approval: Approval) -> None:
        self._router.broadcast(event_frame("approval:decided", approval.model_dump(mode="json")))
        for event in self._waiters.get(approval.id, ()):
            event.set()
