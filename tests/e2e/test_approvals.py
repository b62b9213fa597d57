"""Approvals against a real hub: a second party decides while the requester long-polls; the requester cannot
decide its own; lapse to expired; events to live sessions."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.hubproc import HubProcess
from tests.wsclient import RawSocket


async def _next_event(sock: RawSocket, kind: str, approval_id: str) -> dict[str, object]:
    while True:
        frame = await sock.next_stream(timeout=15)
        if frame["type"] == kind and frame["data"]["id"] == approval_id:
            return dict(frame["data"])


async def test_decided_by_a_second_party_while_the_requester_waits(shared_hub: HubProcess, unique: str) -> None:
    requester, requester_token = shared_hub.register(f"asker-{unique}")
    reviewer, reviewer_token = shared_hub.register(f"reviewer-{unique}")
    operator_sock = await RawSocket.open(shared_hub.ws_url, "operator", shared_hub.token)
    await operator_sock.request("agent:register", {})
    try:
        async with (
            httpx.AsyncClient(
                base_url=shared_hub.url, headers={"Authorization": f"Bearer {requester_token}"}, timeout=60
            ) as asker,
            httpx.AsyncClient(
                base_url=shared_hub.url, headers={"Authorization": f"Bearer {reviewer_token}"}, timeout=60
            ) as reviewer_http,
        ):
            created = await asker.post(
                "/api/approvals", json={"action": "deploy", "details": {"version": "2.0"}, "timeout_seconds": 120}
            )
            assert created.status_code == 201
            approval = created.json()
            assert (approval["status"], approval["requester_id"]) == ("pending", requester["id"])
            requested = await _next_event(operator_sock, "approval:requested", approval["id"])
            assert requested["action"] == "deploy"
            waiting = asyncio.create_task(asker.get(f"/api/approvals/{approval['id']}", params={"wait": 60}))
            own = await asker.post(f"/api/approvals/{approval['id']}/approve", json={"reason": "me"})
            assert own.status_code == 403
            assert own.json()["error"]["code"] == "own_request"
            assert not waiting.done()
            decided_at = time.monotonic()
            answer = await reviewer_http.post(f"/api/approvals/{approval['id']}/deny", json={"reason": "not today"})
            assert answer.status_code == 200
            polled = (await asyncio.wait_for(waiting, 30)).json()
            assert time.monotonic() - decided_at < 5
            assert (polled["status"], polled["decided_by"], polled["reason"]) == (
                "denied",
                reviewer["id"],
                "not today",
            )
            decided = await _next_event(operator_sock, "approval:decided", approval["id"])
            assert decided["status"] == "denied"
            again = await reviewer_http.post(f"/api/approvals/{approval['id']}/approve")
            assert again.status_code == 409
            assert again.json()["error"]["code"] == "already_decided"
            denied = (await asker.get("/api/approvals", params={"status": "denied", "limit": 1000})).json()
            assert approval["id"] in [a["id"] for a in denied]
    finally:
        await operator_sock.close()


def test_operator_decides_and_unknown_ids(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"opask-{unique}")
    with shared_hub.client(token) as asker, shared_hub.client() as op:
        approval = asker.post("/api/approvals", json={"action": "rm -rf build"}).json()
        approved = op.post(f"/api/approvals/{approval['id']}/approve").json()
        assert (approved["status"], approved["decided_by"]) == ("approved", None)
        assert asker.get(f"/api/approvals/{approval['id']}", params={"wait": 5}).json()["status"] == "approved"
        assert op.post("/api/approvals/nope/approve").status_code == 404
        assert op.get("/api/approvals/nope").status_code == 404
        assert asker.post("/api/approvals", json={"action": ""}).status_code == 422
        huge = asker.post("/api/approvals", json={"action": "x", "details": {"n": 2**70}})
        assert (huge.status_code, huge.json()["error"]["code"]) == (422, "invalid_details")


async def test_a_request_lapses_to_expired(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"lapse-{unique}")
    _, other_token = shared_hub.register(f"late-{unique}")
    sock = await RawSocket.open(shared_hub.ws_url, agent["id"], token)
    await sock.request("agent:register", {})
    try:
        async with httpx.AsyncClient(
            base_url=shared_hub.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as http:
            approval = (await http.post("/api/approvals", json={"action": "x", "timeout_seconds": 0.5})).json()
            started = time.monotonic()
            polled = (await http.get(f"/api/approvals/{approval['id']}", params={"wait": 30})).json()
            assert polled["status"] == "expired"
            assert time.monotonic() - started < 10
            event = await _next_event(sock, "approval:decided", approval["id"])
            assert event["status"] == "expired"
        with shared_hub.client(other_token) as late:
            too_late = late.post(f"/api/approvals/{approval['id']}/approve")
            assert too_late.status_code == 409
            assert too_late.json()["error"]["details"] == {"status": "expired"}
    finally:
        await sock.close()
