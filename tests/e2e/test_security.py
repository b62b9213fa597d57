"""Abuse: reading others' direct messages, acting as another agent, token storage, rate limits, size limits,
`--open` off loopback, private files. Each test attacks one promise of PROTOCOL.md section 2 or section 1."""

from __future__ import annotations

import asyncio
import hashlib
import stat
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.hubproc import HubProcess, serve_refused
from tests.wsclient import RawSocket


def test_no_route_or_event_shows_an_agent_another_agents_direct_messages(shared_hub: HubProcess, unique: str) -> None:
    alice, alice_token = shared_hub.register(f"alice-{unique}")
    bob, bob_token = shared_hub.register(f"bob-{unique}")
    eve, eve_token = shared_hub.register(f"eve-{unique}")
    secret = f"secret{unique}"
    with shared_hub.client(alice_token) as http:
        body = {
            "recipients": [bob["name"]],
            "content": f"the {secret} is here",
            "title": secret,
            "task_id": f"task-{unique}",
            "thread_id": f"thread-{unique}",
        }
        message = http.post("/api/messages", json=body).json()
    with shared_hub.client(bob_token) as http:  # the recipient does see it
        assert http.get(f"/api/messages/{message['id']}").status_code == 200
        assert [m["id"] for m in http.get("/api/search", params={"q": secret}).json()] == [message["id"]]

    with shared_hub.client(eve_token) as http:
        assert http.post("/api/channels/*/subscribe").status_code == 200  # every channel: still not direct ones
        assert http.get(f"/api/messages/{message['id']}").json()["error"]["code"] == "message_not_found"
        assert http.post(f"/api/messages/{message['id']}/read").status_code == 404
        assert http.delete(f"/api/messages/{message['id']}").status_code == 404
        lists = [
            http.get("/api/messages", params={"sender_id": alice["id"], "limit": 1000}),
            http.get("/api/messages", params={"thread_id": f"thread-{unique}"}),
            http.get("/api/messages", params={"since": message["seq"] - 1, "limit": 1000}),
            http.get("/api/messages/recent", params={"limit": 1000}),
            http.get(f"/api/messages/task/task-{unique}"),
            http.get("/api/search", params={"q": secret}),
            http.get("/api/inbox", params={"limit": 1000}),
        ]
        for response in lists:
            assert response.status_code == 200
            assert message["id"] not in response.text and secret not in response.text, response.request.url

    async def replay() -> dict[str, Any]:
        sock = await RawSocket.open(shared_hub.ws_url, eve["id"], eve_token)
        await sock.request("agent:register", {"since": message["seq"] - 1})
        with shared_hub.client(alice_token) as http:
            http.post("/api/messages", json={"channel": f"marker-{unique}", "content": "after"})
        frame = await sock.next_stream()
        await sock.close()
        return frame

    try:
        frame = asyncio.run(replay())
    finally:  # every channel's subscriber count on the shared hub would include eve
        with shared_hub.client(eve_token) as http:
            assert http.post("/api/channels/*/unsubscribe").json()["removed"] is True
    assert (frame["type"], frame["data"]["content"]) == ("message:received", "after")


def test_an_agent_cannot_act_as_another(shared_hub: HubProcess, unique: str) -> None:
    alice, alice_token = shared_hub.register(f"alice-{unique}")
    mallory, token = shared_hub.register(f"mallory-{unique}")
    with shared_hub.client(alice_token) as http:
        alices = http.post("/api/messages", json={"channel": f"c-{unique}", "content": "mine"}).json()
    with shared_hub.client(token) as http:
        for method, path, body in [
            ("PUT", f"/api/agents/{alice['id']}", {"type": "hijacked"}),
            ("PUT", f"/api/agents/{alice['id']}/status", {"status": "busy"}),
            ("POST", f"/api/agents/{alice['id']}/heartbeat", None),
            ("DELETE", f"/api/agents/{alice['id']}", None),
            ("POST", "/api/agents/register", {"name": f"alice-{unique}"}),  # a new token for alice
            ("DELETE", f"/api/messages/{alices['id']}", None),
        ]:
            response = http.request(method, path, json=body)
            assert response.status_code == 403, (method, path, response.text)
        spoofed = {"channel": f"c-{unique}", "content": "from alice, honest", "sender_id": alice["id"]}
        assert http.post("/api/messages", json=spoofed).status_code == 422
        legacy = http.post(f"/messages/c-{unique}", json={"sender": alice["name"], "message": "as alice"}).json()
        assert legacy["sender"] == mallory["name"]
        stored = http.get("/api/messages", params={"channel": f"c-{unique}"}).json()
        assert [(m["sender_id"], m["content"]) for m in stored] == [(alice["id"], "mine"), (mallory["id"], "as alice")]
    with shared_hub.client() as http:
        assert http.get(f"/api/agents/{alice['id']}").json()["type"] == "script"

    async def over_websocket() -> None:
        for target in (alice["id"], alice["name"]):
            async with connect(f"{shared_hub.ws_url}/ws/{target}?token={token}") as ws:
                error = await ws.recv()
                assert '"code":"not_yourself"' in str(error)
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
                assert ws.close_code == 1008
        sock = await RawSocket.open(shared_hub.ws_url, mallory["id"], token)
        answer = await (await sock.send_frame("message:send", {**spoofed, "content": "ws"}))
        assert answer["type"] == "error" and answer["error"]["status"] == 422
        await sock.close()

    asyncio.run(over_websocket())


def _database_bytes(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in data_dir.glob("agenthub.db*"))


def test_agent_tokens_are_stored_only_as_sha256_digests(hub: HubProcess) -> None:
    tokens = [hub.register(f"agent{n}")[1] for n in range(3)]
    with hub.client(tokens[0]) as http:
        assert http.get("/api/me").status_code == 200
    for moment in ("running", "stopped"):  # in the WAL while running, in the main file once checkpointed
        raw = _database_bytes(hub.data_dir)
        for token in tokens:
            assert token.encode() not in raw, moment
            assert hashlib.sha256(token.encode()).hexdigest().encode() in raw, moment
        assert hub.token.encode() not in raw, moment
        if moment == "running":
            hub.stop()


def test_rate_limit_answers_429_with_retry_after_per_agent_on_http_and_websocket(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub", env={"AGENTHUB_RATE_LIMIT": "1", "AGENTHUB_RATE_LIMIT_BURST": "4"}).start()
    try:
        busy, busy_token = hub.register("busy")
        _, calm_token = hub.register("calm")
        with hub.client(busy_token) as http:
            assert [http.get("/api/me").status_code for _ in range(4)] == [200] * 4
            refused = http.get("/api/me")
            assert refused.status_code == 429
            error = refused.json()["error"]
            assert error["code"] == "rate_limited" and 0 < error["details"]["retry_after"] <= 1
            assert refused.headers["Retry-After"] == "1"
        with hub.client(calm_token) as http:
            assert http.get("/api/me").status_code == 200  # another agent is not slowed down
        _, poster_token = hub.register("poster")
        with hub.client(poster_token) as http:  # publishing takes a path of its own (server/fast_publish.py)
            bad = http.post("/api/messages", json={"channel": "general"})  # counted once, though answered late
            assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_field")
            published = [http.post("/api/messages", json={"channel": "general", "content": str(n)}) for n in range(3)]
            assert [answer.status_code for answer in published] == [201] * 3
            refused = http.post("/api/messages", json={"channel": "general", "content": "one too many"})
            assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")
            assert refused.headers["Retry-After"] == "1"

        async def websocket() -> None:
            sock = await RawSocket.open(hub.ws_url, busy["id"], busy_token)
            burst = [await sock.send_frame("agent:heartbeat", {}) for _ in range(8)]
            answers = [await future for future in burst]
            answer = next(a for a in answers if a["type"] == "error")
            assert (answer["error"]["code"], answer["error"]["status"]) == ("rate_limited", 429)
            assert answer["error"]["details"]["retry_after"] > 0
            deadline = asyncio.get_running_loop().time() + 10
            while answer["type"] == "error":  # the connection stays open; the bucket refills
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(answer["error"]["details"]["retry_after"])
                answer = await (await sock.send_frame("agent:heartbeat", {}))
            assert answer["data"] == {"status": "online"}
            await sock.close()

        asyncio.run(websocket())
    finally:
        hub.stop()


def test_size_limits_on_every_input(tmp_path: Path) -> None:
    env = {"AGENTHUB_MAX_FRAME_BYTES": "65536", "AGENTHUB_MAX_BODY_BYTES": "300000"}
    hub = HubProcess(tmp_path / "hub", env=env).start()
    try:
        agent, token = hub.register("sizer")
        too_long = "a" * 129
        with hub.client(token) as http:
            cases: list[tuple[str, str, Any, int, str]] = [
                ("POST", "/api/messages", {"channel": "c", "content": "x" * 262_145}, 413, "content_too_large"),
                (
                    "POST",
                    "/api/messages",
                    {"channel": "c", "content": "x", "metadata": {"k": "v" * 70_000}},
                    413,
                    "metadata_too_large",
                ),
                ("POST", "/api/messages", {"channel": too_long, "content": "x"}, 422, "invalid_field"),
                ("POST", "/api/messages", {"recipients": [too_long], "content": "x"}, 422, "invalid_field"),
                (
                    "POST",
                    "/api/messages",
                    {"channel": "c", "content": "x", "msg_id": too_long * 2},
                    422,
                    "invalid_field",
                ),
                ("POST", "/api/messages", {"channel": "c", "content": "x", "title": "t" * 1001}, 422, "invalid_field"),
                (
                    "POST",
                    "/api/messages/batch",
                    {"messages": [{"channel": "c", "content": "x"}] * 1001},
                    422,
                    "invalid_field",
                ),
                ("POST", "/api/messages", {"channel": "c", "content": "x" * 300_001}, 413, "body_too_large"),
                ("PUT", f"/api/agents/{agent['id']}", {"metadata": {"k": "v" * 70_000}}, 413, "metadata_too_large"),
                ("PUT", f"/api/agents/{agent['id']}", {"capabilities": ["c"] * 257}, 422, "invalid_field"),
                ("GET", "/api/search?q=" + "w" * 1001, None, 422, "invalid_field"),
                ("POST", "/api/memory", {"key": "k", "value": "v" * 262_200}, 413, "value_too_large"),
                ("POST", "/api/memory", {"key": "k" * 513, "value": 1}, 422, "invalid_field"),
                ("POST", "/api/tasks", {"title": "t" * 1001}, 422, "invalid_field"),
                ("POST", "/api/tasks", {"title": "t", "description": "d" * 100_001}, 422, "invalid_field"),
                ("POST", "/api/tasks", {"title": "t", "tags": ["x"] * 65}, 422, "invalid_field"),
                ("POST", "/api/locks", {"resource": "r" * 2000}, 422, "invalid_field"),
                ("POST", "/api/approvals", {"action": "a" * 100_000}, 422, "invalid_field"),
                ("GET", "/api/messages?limit=1001", None, 422, "invalid_field"),
            ]
            for method, path, body, status, code in cases:
                response = http.request(method, path, json=body)
                assert (response.status_code, response.json()["error"]["code"]) == (status, code), path
            assert http.get("/api/messages", params={"channel": "c"}).json() == []
        with hub.client() as http:
            for name in (too_long, "", "bad name"):
                assert http.post("/api/agents/register", json={"name": name}).status_code == 422
            big = {"name": "big", "metadata": {"k": "v" * 70_000}}
            assert http.post("/api/agents/register", json=big).json()["error"]["code"] == "metadata_too_large"

        async def frames() -> None:
            sock = await RawSocket.open(hub.ws_url, agent["id"], token, max_size=None)
            await sock.ws.send('{"type":"agent:heartbeat","id":"big","data":{"pad":"' + "x" * 70_000 + '"}}')
            assert (await sock.request("agent:heartbeat", {}))["status"] == "online"  # answered after the error
            [error] = sock.errors
            assert error["error"]["code"] == "frame_too_large"
            big = {"messages": [{"channel": "c", "content": "x"}] * 1001}
            answer = await (await sock.send_frame("message:send", big))
            assert answer["type"] == "error"  # over the frame limit or the batch limit, refused either way
            answer = await (await sock.send_frame("message:send", {"channel": "c", "content": "x" * 60_000}))
            assert answer["type"] == "ack"  # still open and serving
            await sock.ws.send("x" * 300_000)  # far past any limit: the server closes the connection
            closed = await sock.next_stream()
            assert closed == {"type": "closed", "code": 1009, "reason": closed["reason"]}

        asyncio.run(frames())
    finally:
        hub.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "example.com"])
def test_open_mode_is_refused_off_loopback(tmp_path: Path, host: str) -> None:
    done = serve_refused(tmp_path / "data", "--open", "--host", host)
    assert done.returncode != 0
    assert f"--open is refused on {host}" in done.stderr


def test_open_mode_from_the_environment_is_refused_off_loopback(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "AGENTHUB_OPEN": "1", "AGENTHUB_HOST": "0.0.0.0"}
    done = serve_refused(tmp_path / "data", env=env)
    assert done.returncode != 0 and "--open is refused on 0.0.0.0" in done.stderr


def test_data_dir_and_token_file_are_created_private(tmp_path: Path) -> None:
    private = tmp_path / "new" / "data"
    hub = HubProcess(tmp_path / "logs", args=["--data-dir", str(private)]).start()
    try:
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        assert stat.S_IMODE((private / "token").stat().st_mode) == 0o600
    finally:
        hub.stop()


def test_an_agent_cannot_decide_its_own_approval(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"asker-{unique}")
    with shared_hub.client(token) as http:
        approval = http.post("/api/approvals", json={"action": "deploy", "timeout_seconds": 60}).json()
        for verdict in ("approve", "deny"):
            refused = http.post(f"/api/approvals/{approval['id']}/{verdict}", json={"reason": "trust me"})
            assert (refused.status_code, refused.json()["error"]["code"]) == (403, "own_request")
        assert http.get(f"/api/approvals/{approval['id']}").json()["status"] == "pending"


def test_an_agent_cannot_release_renew_or_overlap_another_agents_lock(shared_hub: HubProcess, unique: str) -> None:
    holder, holder_token = shared_hub.register(f"holder-{unique}")
    _, token = shared_hub.register(f"thief-{unique}")
    with shared_hub.client(holder_token) as http:
        lock = http.post("/api/locks", json={"resource": f"{unique}/src/app.py", "ttl_seconds": 60}).json()
    with shared_hub.client(token) as http:
        assert http.delete(f"/api/locks/{lock['id']}").status_code == 403
        assert http.post(f"/api/locks/{lock['id']}/renew", json={"ttl_seconds": 1}).status_code == 403
        for resource in (f"{unique}/src/app.py", f"{unique}/src/*", f"{unique}/*/app.py"):
            for mode in ("exclusive", "shared"):
                taken = http.post("/api/locks", json={"resource": resource, "mode": mode})
                assert taken.status_code == 409, (resource, mode)
    with shared_hub.client(holder_token) as http:
        still = http.get(f"/api/locks/{lock['id']}").json()
        assert (still["holder_id"], still["expires_at"]) == (holder["id"], lock["expires_at"])


def test_memory_access_control_holds_on_every_route_and_event(shared_hub: HubProcess, unique: str) -> None:
    _, owner_token = shared_hub.register(f"owner-{unique}")
    intruder, token = shared_hub.register(f"intruder-{unique}")
    key = f"{unique}/config"
    with shared_hub.client(owner_token) as http:
        acl = {"read": ["*"], "write": []}
        stored = http.post("/api/memory", json={"key": key, "value": {"safe": True}, "access_control": acl}).json()
    with shared_hub.client(token) as http:
        attempts = [
            http.put(f"/api/memory/key/{key}", json={"value": "pwned"}),
            http.put(f"/api/memory/key/{key}", json={"value": "pwned", "if_version": stored["version"]}),
            http.put(f"/api/memory/{stored['id']}", json={"value": "pwned"}),
            http.post("/api/memory", json={"key": key, "value": "pwned"}),
            http.post("/api/memory", json={"key": key, "value": "x", "access_control": {"write": [intruder["id"]]}}),
            http.delete(f"/api/memory/key/{key}"),
            http.delete(f"/api/memory/{stored['id']}"),
        ]
        assert [r.status_code for r in attempts] == [403] * len(attempts)

    async def over_websocket() -> dict[str, Any]:
        sock = await RawSocket.open(shared_hub.ws_url, intruder["id"], token)
        answer = await (await sock.send_frame("memory:set", {"key": key, "value": "pwned"}))
        await sock.close()
        return answer

    answer = asyncio.run(over_websocket())
    assert (answer["type"], answer["error"]["status"]) == ("error", 403)
    with shared_hub.client(owner_token) as http:
        now = http.get(f"/api/memory/key/{key}").json()
        assert (now["value"], now["version"], now["access_control"]) == ({"safe": True}, 1, stored["access_control"])
