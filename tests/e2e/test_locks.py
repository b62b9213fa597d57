"""Locks against a real hub: the conflict matrix with globs, TTL and lapse, renew, release, blocking acquire,
an agent's locks going with it, and hung agents."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.hubproc import HubProcess

# (held resource, held mode, requested resource, requested mode, conflicts?)
MATRIX = [
    ("src/a.py", "exclusive", "src/a.py", "exclusive", True),
    ("src/a.py", "exclusive", "src/a.py", "shared", True),
    ("src/a.py", "shared", "src/a.py", "exclusive", True),
    ("src/a.py", "shared", "src/a.py", "shared", False),
    ("src/a.py", "exclusive", "src/b.py", "exclusive", False),
    ("src/api/*.py", "exclusive", "src/api/x.py", "exclusive", True),
    ("src/api/*.py", "exclusive", "src/api/x.txt", "exclusive", False),
    ("src/api/*.py", "exclusive", "src/api/deep/x.py", "exclusive", False),
    ("src/**", "shared", "src/api/x.py", "exclusive", True),
    ("src/**", "shared", "src/api/*.py", "shared", False),
    ("src/*/x.py", "exclusive", "src/api/*", "exclusive", True),
    ("docs/**/*.md", "exclusive", "src/**/*.md", "exclusive", False),
]


@pytest.mark.parametrize(("held", "held_mode", "wanted", "wanted_mode", "conflict"), MATRIX)
def test_conflict_matrix(
    shared_hub: HubProcess, unique: str, held: str, held_mode: str, wanted: str, wanted_mode: str, conflict: bool
) -> None:
    holder, holder_token = shared_hub.register(f"holder-{unique}")
    _, other_token = shared_hub.register(f"other-{unique}")
    scope = f"{unique}/"
    with shared_hub.client(holder_token) as a, shared_hub.client(other_token) as b:
        first = a.post("/api/locks", json={"resource": scope + held, "mode": held_mode, "intent": "editing"})
        assert first.status_code == 201
        answer = b.post("/api/locks", json={"resource": scope + wanted, "mode": wanted_mode})
        if conflict:
            assert answer.status_code == 409
            error = answer.json()["error"]
            assert error["code"] == "lock_held"
            assert error["details"]["holder"]["id"] == first.json()["id"]
            assert error["details"]["holder"]["holder_id"] == holder["id"]
            assert error["details"]["holder"]["intent"] == "editing"
        else:
            assert answer.status_code == 201
            assert b.delete(f"/api/locks/{answer.json()['id']}").status_code == 204
        assert a.delete(f"/api/locks/{first.json()['id']}").status_code == 204


def test_listing_renew_release_and_holder_only(shared_hub: HubProcess, unique: str) -> None:
    holder, holder_token = shared_hub.register(f"lister-{unique}")
    _, other_token = shared_hub.register(f"intruder-{unique}")
    resource = f"{unique}/backend/main.py"
    with shared_hub.client(holder_token) as a, shared_hub.client(other_token) as b, shared_hub.client() as op:
        lock = a.post("/api/locks", json={"resource": resource, "intent": "add /health", "ttl_seconds": 60}).json()
        assert (lock["holder_id"], lock["holder_name"], lock["mode"]) == (holder["id"], holder["name"], "exclusive")
        listed = [item for item in a.get("/api/locks", params={"limit": 1000}).json() if item["id"] == lock["id"]]
        assert listed == [lock]
        assert [item["id"] for item in a.get("/api/locks", params={"resource": f"{unique}/backend/*"}).json()] == [
            lock["id"]
        ]
        assert b.post(f"/api/locks/{lock['id']}/renew").status_code == 403
        forbidden = b.delete(f"/api/locks/{lock['id']}")
        assert forbidden.status_code == 403
        assert forbidden.json()["error"]["code"] == "not_holder"
        renewed = a.post(f"/api/locks/{lock['id']}/renew", json={"ttl_seconds": 120}).json()
        assert renewed["expires_at"] > lock["expires_at"]
        assert op.delete(f"/api/locks/{lock['id']}").status_code == 204  # the operator may release any lock
        assert a.delete(f"/api/locks/{lock['id']}").status_code == 404
        lost = a.post(f"/api/locks/{lock['id']}/renew")
        assert lost.status_code == 409
        assert lost.json()["error"]["code"] == "lock_lost"
        assert a.post("/api/locks", json={"resource": "/"}).status_code == 422
        assert a.post("/api/locks", json={"resource": "x", "mode": "sideways"}).status_code == 422


def test_a_lapsed_lock_is_free(shared_hub: HubProcess, unique: str) -> None:
    _, a_token = shared_hub.register(f"lapse-a-{unique}")
    _, b_token = shared_hub.register(f"lapse-b-{unique}")
    resource = f"{unique}/lapse.py"
    with shared_hub.client(a_token) as a, shared_hub.client(b_token) as b:
        short = a.post("/api/locks", json={"resource": resource, "ttl_seconds": 0.3}).json()
        assert b.post("/api/locks", json={"resource": resource}).status_code == 409
        # waiting longer than the ttl: the acquire wakes when the lock lapses, not when the wait ends
        started = time.monotonic()
        taken = b.post("/api/locks", json={"resource": resource, "wait_seconds": 20})
        assert taken.status_code == 201
        assert time.monotonic() - started < 10
        assert a.post(f"/api/locks/{short['id']}/renew").status_code == 409
        assert short["id"] not in [item["id"] for item in a.get("/api/locks", params={"limit": 1000}).json()]


async def test_blocking_acquire_is_woken_by_release(shared_hub: HubProcess, unique: str) -> None:
    _, a_token = shared_hub.register(f"block-a-{unique}")
    _, b_token = shared_hub.register(f"block-b-{unique}")
    resource = f"{unique}/shared.py"
    headers_a = {"Authorization": f"Bearer {a_token}"}
    headers_b = {"Authorization": f"Bearer {b_token}"}
    async with (
        httpx.AsyncClient(base_url=shared_hub.url, headers=headers_a, timeout=60) as a,
        httpx.AsyncClient(base_url=shared_hub.url, headers=headers_b, timeout=60) as b,
    ):
        held = (await a.post("/api/locks", json={"resource": resource, "ttl_seconds": 120})).json()
        waiting = asyncio.create_task(b.post("/api/locks", json={"resource": resource, "wait_seconds": 60}))
        # the waiter is blocked while the lock is held: a short wait of a third request times out with 409
        timed_out = await b.post("/api/locks", json={"resource": resource, "wait_seconds": 0.2})
        assert timed_out.status_code == 409
        assert not waiting.done()
        released_at = time.monotonic()
        assert (await a.delete(f"/api/locks/{held['id']}")).status_code == 204
        answer = await asyncio.wait_for(waiting, 30)
        assert answer.status_code == 201
        assert time.monotonic() - released_at < 5
        assert answer.json()["holder_name"] == f"block-b-{unique}"


def test_deleting_an_agent_frees_its_locks_and_hung_agents(shared_hub: HubProcess, unique: str) -> None:
    gone, gone_token = shared_hub.register(f"gone-{unique}")
    _, live_token = shared_hub.register(f"live-{unique}")
    resource = f"{unique}/owned.py"
    with shared_hub.client(gone_token) as g, shared_hub.client(live_token) as live, shared_hub.client() as op:
        lock = g.post("/api/locks", json={"resource": resource}).json()
        assert live.post(f"/api/agents/{live.get('/api/me').json()['id']}/heartbeat").status_code == 200
        live.post("/api/locks", json={"resource": f"{unique}/mine.py"})
        hung = {h["agent"]["id"]: h for h in op.get("/api/agents/hung").json()}
        assert hung[gone["id"]]["locks"] == 1
        assert hung[gone["id"]]["tasks"] == 0
        assert f"live-{unique}" not in [h["agent"]["name"] for h in hung.values()]  # heartbeating: not hung
        assert op.delete(f"/api/agents/{gone['id']}").status_code == 204
        assert lock["id"] not in [item["id"] for item in op.get("/api/locks", params={"limit": 1000}).json()]
        assert live.post("/api/locks", json={"resource": resource}).status_code == 201
        assert gone["id"] not in [h["agent"]["id"] for h in op.get("/api/agents/hung").json()]
