"""Receipts of direct messages, presence, the long-polled inbox, and the hub's own endpoints."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from tests.e2e.wsutil import Peer, publish
from tests.hubproc import HubProcess

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll an external process's state until `probe` returns something truthy, within a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def quick_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """Agents without a connection go offline 1 s after their last heartbeat."""
    env = {"AGENTHUB_OFFLINE_AFTER": "1", "AGENTHUB_PRESENCE_SWEEP_INTERVAL": "0.2"}
    hub = HubProcess(tmp_path_factory.mktemp("quick-hub"), env=env).start()
    yield hub
    hub.stop()


def _receipts(hub: HubProcess, token: str, message_id: str) -> list[dict[str, Any]]:
    with hub.client(token) as http:
        receipts: list[dict[str, Any]] = http.get(f"/api/messages/{message_id}").json()["receipts"]
    return receipts


def _status(hub: HubProcess, agent_id: str) -> str:
    with hub.client() as http:
        status: str = http.get(f"/api/agents/{agent_id}").json()["status"]
    return status


# -- receipts -------------------------------------------------------------------------------------------


def test_receipts_over_the_inbox_and_read(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    bob, bob_token = shared_hub.register(f"bob-{unique}")
    carol, carol_token = shared_hub.register(f"carol-{unique}")
    _, eve_token = shared_hub.register(f"eve-{unique}")
    message = publish(shared_hub, sender_token, recipients=[bob["id"], carol["id"]], content="hello")
    assert message["receipts"] is None or all(r["delivered_at"] is None for r in message["receipts"])
    assert _receipts(shared_hub, sender_token, message["id"]) == [
        {"agent_id": bob["id"], "delivered_at": None, "read_at": None},
        {"agent_id": carol["id"], "delivered_at": None, "read_at": None},
    ]
    with shared_hub.client(bob_token) as http:
        assert [m["id"] for m in http.get("/api/inbox").json()] == [message["id"]]

    def bob_delivered() -> list[dict[str, Any]] | None:
        receipts = _receipts(shared_hub, sender_token, message["id"])
        return receipts if receipts[0]["delivered_at"] is not None else None

    bob_receipt, carol_receipt = eventually(bob_delivered)
    assert bob_receipt["read_at"] is None
    assert carol_receipt == {"agent_id": carol["id"], "delivered_at": None, "read_at": None}

    with shared_hub.client(sender_token) as http:
        response = http.post(f"/api/messages/{message['id']}/read")
        assert (response.status_code, response.json()["error"]["code"]) == (403, "not_a_recipient")
    with shared_hub.client(eve_token) as http:
        assert http.post(f"/api/messages/{message['id']}/read").status_code == 404
    with shared_hub.client() as http:
        response = http.post(f"/api/messages/{message['id']}/read")
        assert (response.status_code, response.json()["error"]["code"]) == (400, "agent_only")
    with shared_hub.client(bob_token) as http:
        read = http.post(f"/api/messages/{message['id']}/read").json()
        assert read["receipts"][0]["read_at"] is not None
        assert read["receipts"][0]["delivered_at"] == bob_receipt["delivered_at"]
        again = http.post(f"/api/messages/{message['id']}/read").json()
        assert again["receipts"][0]["read_at"] == read["receipts"][0]["read_at"]  # the first read is kept
    with shared_hub.client(carol_token) as http:
        read = http.post(f"/api/messages/{message['id']}/read").json()["receipts"][1]
        assert read["read_at"] is not None and read["delivered_at"] is not None  # reading implies delivery


def test_receipts_over_the_websocket(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    bob, bob_token = shared_hub.register(f"bob-{unique}")
    channel_only = publish(shared_hub, sender_token, channel=f"{unique}-room", content="public")
    assert _receipts(shared_hub, sender_token, channel_only["id"]) is None
    with Peer(shared_hub, bob["id"], bob_token) as peer:
        peer.register()
        message = publish(shared_hub, sender_token, recipients=[bob["name"]], content="over the socket")
        frame = peer.message(lambda m: m["id"] == message["id"])
        assert frame["seq"] == message["seq"]
        assert "receipts" not in frame["data"] and "duplicate" not in frame["data"]
        delivered = eventually(lambda: _receipts(shared_hub, sender_token, message["id"])[0]["delivered_at"])
        read = peer.ack("message:read", {"message_id": message["id"]})["message"]
        [receipt] = read["receipts"]
        assert (receipt["agent_id"], receipt["delivered_at"]) == (bob["id"], delivered)
        assert receipt["read_at"] is not None
        wrong = peer.request("message:read", {"message_id": channel_only["id"]})
        assert (wrong["type"], wrong["error"]["code"]) == ("error", "not_a_recipient")


# -- presence -------------------------------------------------------------------------------------------


def test_websocket_presence_and_join_leave_events(quick_hub: HubProcess) -> None:
    watcher, watcher_token = quick_hub.register("watcher")
    agent, token = quick_hub.register("comes-and-goes")
    assert _status(quick_hub, agent["id"]) == "offline"
    with Peer(quick_hub, watcher["id"], watcher_token) as observer:
        observer.register()
        with Peer(quick_hub, agent["id"], token) as peer:
            peer.register()
            joined = observer.wait_for(lambda f: f["type"] == "agent:joined" and f["data"]["id"] == agent["id"])
            assert joined["data"]["status"] == "online" and "seq" not in joined
            assert _status(quick_hub, agent["id"]) == "online"
            with quick_hub.client() as http:
                assert agent["id"] in {a["id"] for a in http.get("/api/agents/online").json()}
            assert peer.ack("agent:heartbeat") == {"status": "online"}
            assert not [f for f in observer.frames if f["type"] == "agent:left" and f["data"]["id"] == agent["id"]]
        left = observer.wait_for(lambda f: f["type"] == "agent:left" and f["data"]["id"] == agent["id"])
        assert left["data"]["status"] == "offline"
    assert _status(quick_hub, agent["id"]) == "offline"
    with quick_hub.client() as http:
        assert agent["id"] not in {a["id"] for a in http.get("/api/agents/online").json()}


def test_an_agent_with_two_connections_stays_online_until_both_close(quick_hub: HubProcess) -> None:
    watcher, watcher_token = quick_hub.register("twin-watcher")
    agent, token = quick_hub.register("twin")
    with Peer(quick_hub, watcher["id"], watcher_token) as observer:
        observer.register()
        with Peer(quick_hub, agent["id"], token) as first:
            first.register()
            with Peer(quick_hub, agent["id"], token) as second:
                second.register()
                assert second.ack("agent:heartbeat") == {"status": "online"}
            assert first.ack("agent:heartbeat") == {"status": "online"}
            assert _status(quick_hub, agent["id"]) == "online"
        left = observer.wait_for(lambda f: f["type"] == "agent:left" and f["data"]["id"] == agent["id"])
        joins = [f for f in observer.frames if f["type"] == "agent:joined" and f["data"]["id"] == agent["id"]]
    assert left["data"]["status"] == "offline"
    assert len(joins) == 1  # the second connection did not announce the agent again
    assert _status(quick_hub, agent["id"]) == "offline"


def test_a_connection_outlives_the_heartbeat_timeout(quick_hub: HubProcess) -> None:
    watcher, watcher_token = quick_hub.register("long-watcher")
    agent, token = quick_hub.register("quiet-but-connected")
    _, other_token = quick_hub.register("quiet-other")
    with Peer(quick_hub, watcher["id"], watcher_token) as observer, Peer(quick_hub, agent["id"], token) as peer:
        observer.register()
        peer.register()
        start = time.monotonic()
        # Wait (on a real event) for well past AGENTHUB_OFFLINE_AFTER: a long poll that nobody answers.
        with quick_hub.client(other_token) as http:
            assert http.get("/api/inbox", params={"wait": 1.6}).json() == []
        assert time.monotonic() - start >= 1.5
        assert _status(quick_hub, agent["id"]) == "online"
        assert not [f for f in observer.frames if f["type"] == "agent:left" and f["data"]["id"] == agent["id"]]


def test_http_heartbeats_keep_an_agent_online_until_they_stop(quick_hub: HubProcess) -> None:
    agent, token = quick_hub.register("http-only")
    with quick_hub.client(token) as http:
        beat = http.post(f"/api/agents/{agent['id']}/heartbeat").json()
        assert beat["status"] == "online" and beat["last_seen"] is not None
        # Keep beating for twice the offline timeout: it must stay online throughout.
        until = time.monotonic() + 2.0
        while True:
            last_beat = time.monotonic()
            assert http.post(f"/api/agents/{agent['id']}/heartbeat").json()["status"] == "online"
            assert _status(quick_hub, agent["id"]) == "online"
            if last_beat > until:
                break
            time.sleep(0.25)  # the heartbeat cadence of this client, not a wait for the hub
    eventually(lambda: _status(quick_hub, agent["id"]) == "offline", timeout=5)
    assert time.monotonic() - last_beat >= 0.95
    with quick_hub.client() as http:
        listed = http.get(f"/api/agents/{agent['id']}").json()
    assert listed["last_seen"] is not None


def test_status_busy_and_online_list(quick_hub: HubProcess) -> None:
    agent, token = quick_hub.register("sometimes-busy")
    with quick_hub.client(token) as http:
        busy = http.put(f"/api/agents/{agent['id']}/status", json={"status": "busy"}).json()
        assert busy["status"] == "busy"
        assert {a["id"]: a["status"] for a in http.get("/api/agents/online").json()}[agent["id"]] == "busy"
        # A heartbeat keeps the agent's own word: still busy.
        assert http.post(f"/api/agents/{agent['id']}/heartbeat").json()["status"] == "busy"
        response = http.put(f"/api/agents/{agent['id']}/status", json={"status": "asleep"})
        assert response.status_code == 422
    eventually(lambda: _status(quick_hub, agent["id"]) == "offline", timeout=5)


# -- the inbox ------------------------------------------------------------------------------------------


def test_inbox_long_poll_returns_when_a_message_arrives(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    bob, bob_token = shared_hub.register(f"bob-{unique}")
    result: dict[str, Any] = {}

    def poll() -> None:
        with shared_hub.client(bob_token) as http:
            start = time.monotonic()
            result["messages"] = http.get("/api/inbox", params={"wait": 5}).json()
            result["elapsed"] = time.monotonic() - start

    waiting = threading.Thread(target=poll)
    waiting.start()
    message = publish(shared_hub, sender_token, recipients=[bob["id"]], content="wake up")
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    assert [m["id"] for m in result["messages"]] == [message["id"]]
    assert result["elapsed"] < 4.0  # not the full 5 s wait, even on a loaded machine

    with shared_hub.client(bob_token) as http:
        assert [m["id"] for m in http.get("/api/inbox").json()] == [message["id"]]  # not acknowledged yet
        assert http.post("/api/inbox/ack", json={"seq": message["seq"]}).json() == {"cursor": message["seq"]}
        assert http.get("/api/inbox").json() == []
        assert http.post("/api/inbox/ack", json={"seq": 1}).json() == {"cursor": message["seq"]}  # never back
        second = publish(shared_hub, sender_token, recipients=[bob["id"]], content="again")
        assert [m["id"] for m in http.get("/api/inbox").json()] == [second["id"]]
        start = time.monotonic()
        http.post("/api/inbox/ack", json={"seq": second["seq"]}).raise_for_status()
        assert http.get("/api/inbox", params={"wait": 0.3}).json() == []
        assert time.monotonic() - start >= 0.25
    with shared_hub.client() as http:
        response = http.get("/api/inbox")
        assert (response.status_code, response.json()["error"]["code"]) == (400, "agent_only")


# -- the hub's own endpoints ----------------------------------------------------------------------------


def test_health_metrics_and_openapi(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"metrics-{unique}")
    with shared_hub.client(token) as http:  # at least one message stored, however the tests are ordered
        assert http.post("/api/messages", json={"channel": f"metrics-{unique}", "content": "hi"}).status_code == 201
    with httpx.Client(base_url=shared_hub.url, verify=False) as http:
        health = http.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        metrics = http.get("/metrics")
        openapi = http.get("/openapi.json").json()
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for line in metrics.text.splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP agenthub_", "# TYPE agenthub_", "# HELP python_", "# TYPE python_")), line
            continue
        name, value = line.split(" ")
        samples[name] = float(value)
    assert {"agenthub_messages_published_total", "agenthub_messages_stored", "agenthub_last_seq"} <= set(samples)
    assert "# TYPE agenthub_messages_published_total counter" in metrics.text
    assert "# TYPE python_gc_collections_total counter" in metrics.text
    assert {f'python_gc_collections_total{{generation="{g}"}}' for g in range(3)} <= set(samples)
    # `agenthub serve` froze what startup built, so the collector never walks it again (cli/serve.py)
    assert samples["agenthub_gc_frozen_objects"] > 50_000
    for path in ("/api/agents/register", "/api/messages", "/api/messages/batch", "/api/inbox", "/api/search"):
        assert path in openapi["paths"], path
    assert "/api/channels/{channel}/subscribe" in openapi["paths"]
    with shared_hub.client() as http:
        status = http.get("/api/status").json()
    assert status["status"] == "ok" and status["last_seq"] >= status["messages"] > 0
    assert samples["agenthub_messages_stored"] == status["messages"]
