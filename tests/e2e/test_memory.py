"""Shared memory against a real hub: CAS under concurrency, TTL, access control, watches, history."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from typing import Any

import httpx

from tests.hubproc import HubProcess
from tests.wsclient import RawSocket

BUMPS_PER_WORKER = 15
WORKERS = 4


def _bump_counter(url: str, token: str, key: str, bumps: int) -> int:
    """Increment the counter `bumps` times with compare-and-set; returns how many of this worker's writes won."""
    won = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        while won < bumps:
            current = http.get(f"/api/memory/key/{key}").json()
            answer = http.put(
                f"/api/memory/key/{key}", json={"value": current["value"] + 1, "if_version": current["version"]}
            )
            if answer.status_code == 200:
                won += 1
            else:
                assert answer.status_code == 409, answer.text
                assert answer.json()["error"]["code"] == "version_mismatch"
    return won


def test_cas_counter_bumped_by_several_processes(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"counter-{unique}")
    key = f"{unique}/counter"
    with shared_hub.client(token) as http:
        created = http.post("/api/memory", json={"key": key, "value": 0, "if_version": 0})
        assert created.status_code == 201
        assert created.json()["version"] == 1
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        results = [
            pool.apply_async(_bump_counter, (shared_hub.url, token, key, BUMPS_PER_WORKER)) for _ in range(WORKERS)
        ]
        wins = [r.get(timeout=120) for r in results]
    with shared_hub.client(token) as http:
        final = http.get(f"/api/memory/key/{key}").json()
        history = http.get(f"/api/memory/history/{key}", params={"limit": 1000}).json()
    assert sum(wins) == WORKERS * BUMPS_PER_WORKER
    assert final["value"] == sum(wins)
    assert final["version"] == sum(wins) + 1
    assert [v["version"] for v in history] == list(range(1, sum(wins) + 2))
    assert [v["value"] for v in history] == list(range(sum(wins) + 1))


def test_versions_cas_and_keys_with_slashes(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"cas-{unique}")
    key = f"{unique}/plan/step"
    with shared_hub.client(token) as http:
        first = http.put(f"/api/memory/key/{key}", json={"value": {"n": 1}, "if_version": 0})
        assert first.status_code == 200
        assert first.json()["key"] == key
        assert first.json()["version"] == 1
        again = http.post("/api/memory", json={"key": key, "value": 2, "if_version": 0})
        assert again.status_code == 409
        assert again.json()["error"]["details"] == {
            "key": key,
            "current_version": 1,
            "if_version": 0,
            "current": first.json(),  # the loser of a race need not read the key again
        }
        stale = http.put(f"/api/memory/key/{key}", json={"value": 3, "if_version": 7})
        assert stale.status_code == 409
        assert stale.json()["error"]["details"]["current_version"] == 1
        second = http.put(f"/api/memory/key/{key}", json={"value": 3, "if_version": 1}).json()
        assert second["version"] == 2
        assert second["id"] == first.json()["id"]
        by_id = http.get(f"/api/memory/{second['id']}").json()
        assert by_id["value"] == 3
        assert http.put(f"/api/memory/{second['id']}", json={"value": 4}).json()["version"] == 3
        assert [m["key"] for m in http.get("/api/memory", params={"prefix": f"{unique}/plan/"}).json()] == [key]
        assert http.delete(f"/api/memory/key/{key}", params={"if_version": 1}).status_code == 409
        assert http.delete(f"/api/memory/key/{key}").status_code == 204
        assert http.get(f"/api/memory/key/{key}").status_code == 404
        history = http.get(f"/api/memory/history/{key}").json()
        assert [(v["version"], v["change"], v["value"]) for v in history] == [
            (1, "set", {"n": 1}),
            (2, "set", 3),
            (3, "set", 4),
            (4, "deleted", None),
        ]
        # A deleted key can be created again (if_version 0: it does not exist); versions keep counting.
        reborn = http.post("/api/memory", json={"key": key, "value": "back", "if_version": 0}).json()
        assert reborn["version"] == 5
        assert reborn["id"] != second["id"]


def test_value_size_limit_and_bad_input(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"size-{unique}")
    with shared_hub.client(token) as http:
        big = http.post("/api/memory", json={"key": f"{unique}/big", "value": "x" * (300 * 1024)})
        assert big.status_code == 413
        assert big.json()["error"]["code"] == "value_too_large"
        assert http.get(f"/api/memory/key/{unique}/big").status_code == 404
        assert http.post("/api/memory", json={"key": "", "value": 1}).status_code == 422
        assert http.post("/api/memory", json={"key": "a\nb", "value": 1}).status_code == 422
        assert http.put(f"/api/memory/key/{unique}/a%01b", json={"value": 1}).json()["error"]["code"] == "invalid_key"
        assert http.put(f"/api/memory/key/{'k' * 513}", json={"value": 1}).status_code == 422
        assert http.post("/api/memory", json={"key": f"{unique}/k", "value": 1, "ttl_seconds": -1}).status_code == 422
        assert http.post("/api/memory", json={"key": f"{unique}/k"}).status_code == 422
        huge = http.post("/api/memory", json={"key": f"{unique}/k", "value": 2**70})  # valid JSON, not storable
        assert huge.status_code == 422
        assert huge.json()["error"]["code"] == "invalid_value"
        assert http.get(f"/api/memory/history/{unique}/k").status_code == 404


def test_access_control_for_read_and_write(shared_hub: HubProcess, unique: str) -> None:
    owner, owner_token = shared_hub.register(f"owner-{unique}")
    reader, reader_token = shared_hub.register(f"reader-{unique}")
    _, stranger_token = shared_hub.register(f"stranger-{unique}")
    key = f"{unique}/secret"
    acl = {"read": [reader["name"]], "write": [reader["id"]]}
    with shared_hub.client(owner_token) as http:
        assert http.post("/api/memory", json={"key": key, "value": "s", "access_control": acl}).status_code == 201
    with shared_hub.client(stranger_token) as http:
        denied = http.get(f"/api/memory/key/{key}")
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "memory_read_denied"
        assert http.put(f"/api/memory/key/{key}", json={"value": "x"}).status_code == 403
        assert http.delete(f"/api/memory/key/{key}").status_code == 403
        assert http.get("/api/memory", params={"prefix": f"{unique}/"}).json() == []
    with shared_hub.client(reader_token) as http:
        assert http.get(f"/api/memory/key/{key}").json()["value"] == "s"
        assert http.put(f"/api/memory/key/{key}", json={"value": "r"}).json()["version"] == 2
        # writers may change the value, but only the creator (or the operator) the access control
        changed = http.put(f"/api/memory/key/{key}", json={"value": "r", "access_control": {"read": ["*"]}})
        assert changed.status_code == 403
        assert changed.json()["error"]["code"] == "acl_owner_only"
    with shared_hub.client() as http:  # the operator is always allowed
        assert http.get(f"/api/memory/key/{key}").json()["value"] == "r"
    with shared_hub.client(owner_token) as http:
        assert http.put(f"/api/memory/key/{key}", json={"value": "o"}).json()["version"] == 3
        stored = http.get(f"/api/memory/key/{key}").json()
        assert stored["created_by"] == owner["id"]
        assert stored["updated_by"] == owner["id"]
        assert stored["access_control"] == acl
        assert http.delete(f"/api/memory/key/{key}").status_code == 204
    with shared_hub.client(stranger_token) as http:  # a deleted key's history stays as private as the key was
        assert http.get(f"/api/memory/history/{key}").status_code == 403
    with shared_hub.client(reader_token) as http:
        assert [v["value"] for v in http.get(f"/api/memory/history/{key}").json()] == ["s", "r", "o", None]


def test_a_refused_compare_and_set_shows_the_key_only_to_those_who_may_read_it(
    shared_hub: HubProcess, unique: str
) -> None:
    reader, reader_token = shared_hub.register(f"cas-reader-{unique}")
    writer, writer_token = shared_hub.register(f"cas-writer-{unique}")
    key = f"{unique}/guarded"
    acl = {"read": [reader["id"]], "write": [reader["id"], writer["id"]]}
    with shared_hub.client() as http:
        assert http.post("/api/memory", json={"key": key, "value": [1], "access_control": acl}).status_code == 201
    with shared_hub.client(writer_token) as http:  # may write, may not read
        refused = http.put(f"/api/memory/key/{key}", json={"value": [2], "if_version": 5})
        assert refused.status_code == 409
        assert refused.json()["error"]["details"] == {"key": key, "current_version": 1, "if_version": 5}
        assert http.put(f"/api/memory/key/{key}", json={"value": [2], "if_version": 1}).json()["version"] == 2
    with shared_hub.client(reader_token) as http:
        stored = http.get(f"/api/memory/key/{key}").json()
        refused = http.put(f"/api/memory/key/{key}", json={"value": [3], "if_version": 1})
        assert refused.status_code == 409
        assert refused.json()["error"]["details"]["current"] == stored
        assert stored["value"] == [2]
        deleting = http.delete(f"/api/memory/key/{key}", params={"if_version": 1})
        assert deleting.status_code == 409
        assert deleting.json()["error"]["details"]["current"] == stored


def _wait_for(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)  # polling the hub's sweeper (another process) with a deadline


def test_ttl_expires_the_key(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"ttl-{unique}")
    key = f"{unique}/ephemeral"
    with shared_hub.client(token) as http:
        stored = http.post("/api/memory", json={"key": key, "value": 1, "ttl_seconds": 0.3}).json()
        assert stored["expires_at"] is not None
        assert _wait_for(lambda: http.get(f"/api/memory/key/{key}").status_code == 404)
        history = _wait_for(
            lambda: [v["change"] for v in http.get(f"/api/memory/history/{key}").json()] == ["set", "expired"]
        )
        assert history
        # A write without ttl_seconds clears the expiry.
        kept = http.post("/api/memory", json={"key": key, "value": 2}).json()
        assert kept["expires_at"] is None
        assert kept["version"] == 3


async def _collect(sock: RawSocket, key: str, count: int) -> list[dict[str, Any]]:
    events = []
    while len(events) < count:
        frame = await sock.next_stream(timeout=15)
        if frame["type"] == "memory:updated" and frame["data"]["key"] == key:
            events.append(frame["data"])
    return events


async def test_watch_delivers_every_change_in_version_order(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"watcher-{unique}")
    _, writer_token = shared_hub.register(f"writer-{unique}")
    key = f"{unique}/w/counter"
    sock = await RawSocket.open(shared_hub.ws_url, agent["id"], token)
    try:
        started = await sock.request("memory:watch", {"prefix": f"{unique}/w/"})
        assert started == {"prefix": f"{unique}/w/", "entries": []}
        async with httpx.AsyncClient(
            base_url=shared_hub.url, headers={"Authorization": f"Bearer {writer_token}"}
        ) as http:
            answers = await asyncio.gather(*(http.put(f"/api/memory/key/{key}", json={"value": i}) for i in range(30)))
            assert all(a.status_code == 200 for a in answers)
            await http.delete(f"/api/memory/key/{key}")
            await http.post("/api/memory", json={"key": f"{unique}/other", "value": 0})  # not under the prefix
        events = await _collect(sock, key, 31)
        assert [e["version"] for e in events] == list(range(1, 32))
        assert [e["change"] for e in events] == ["set"] * 30 + ["deleted"]
        assert events[-1]["memory"] is None
        values = {a.json()["version"]: a.json()["value"] for a in answers}
        assert [e["memory"]["value"] for e in events[:30]] == [values[v] for v in range(1, 31)]
        # memory:set and memory:get over the socket
        ack = await sock.request("memory:set", {"key": f"{unique}/w/ws", "value": [1, 2], "if_version": 0})
        assert ack["version"] == 1
        assert (await sock.request("memory:get", {"key": f"{unique}/w/ws"}))["value"] == [1, 2]
        [own] = await _collect(sock, f"{unique}/w/ws", 1)
        assert own["version"] == 1
    finally:
        await sock.close()


async def test_watch_after_reconnect_and_expiry_notifies(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"rewatch-{unique}")
    key = f"{unique}/r/k"
    sock = await RawSocket.open(shared_hub.ws_url, agent["id"], token)
    await sock.request("memory:watch", {"prefix": f"{unique}/r/"})
    await sock.request("memory:set", {"key": key, "value": "a"})
    assert (await _collect(sock, key, 1))[0]["version"] == 1
    await sock.close()
    with shared_hub.client(token) as http:  # changes while nobody watches
        http.put(f"/api/memory/key/{key}", json={"value": "b"})
        http.put(f"/api/memory/key/{key}", json={"value": "c", "ttl_seconds": 0.5})
    sock = await RawSocket.open(shared_hub.ws_url, agent["id"], token)
    try:
        started = await sock.request("memory:watch", {"prefix": f"{unique}/r/"})
        [entry] = started["entries"]
        assert (entry["key"], entry["value"], entry["version"]) == (key, "c", 3)
        [expired] = await _collect(sock, key, 1)
        assert expired == {"key": key, "version": 4, "change": "expired", "memory": None}
        await sock.request("memory:unwatch", {})
        await sock.request("memory:set", {"key": key, "value": "d"})
        await sock.request("memory:watch", {"prefix": f"{unique}/zz"})
        await sock.request("memory:set", {"key": f"{unique}/zz", "value": 0})
        [after] = await _collect(sock, f"{unique}/zz", 1)  # nothing for the unwatched key came first
        assert after["version"] == 1
    finally:
        await sock.close()


async def test_watch_hides_keys_the_watcher_may_not_read(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"peek-{unique}")
    _, owner_token = shared_hub.register(f"hide-{unique}")
    sock = await RawSocket.open(shared_hub.ws_url, agent["id"], token)
    try:
        await sock.request("memory:watch", {"prefix": f"{unique}/"})
        with shared_hub.client(owner_token) as http:
            acl = {"read": [], "write": []}
            http.post("/api/memory", json={"key": f"{unique}/hidden", "value": 1, "access_control": acl})
            http.delete(f"/api/memory/key/{unique}/hidden")
            http.post("/api/memory", json={"key": f"{unique}/open", "value": 2})
        frame = await sock.next_stream()  # neither the write nor the delete of the hidden key came first
        assert (frame["data"]["key"], frame["data"]["change"]) == (f"{unique}/open", "set")
    finally:
        await sock.close()


async def test_bad_memory_frames_get_errors_and_the_connection_stays(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"badframe-{unique}")
    sock = await RawSocket.open(shared_hub.ws_url, agent["id"], token)
    try:
        for kind, data in [
            ("memory:set", {"value": 1}),
            ("memory:set", {"key": f"{unique}/k", "value": 1, "if_version": -1}),
            ("memory:get", {"key": 5}),
            ("memory:get", {"key": f"{unique}/missing"}),
            ("memory:watch", {"prefix": ["x"]}),
        ]:
            frame = await asyncio.wait_for(await sock.send_frame(kind, data), 10)
            assert frame["type"] == "error", (kind, data)
        assert (await sock.request("memory:set", {"key": f"{unique}/k", "value": 1}))["version"] == 1
    finally:
        await sock.close()
