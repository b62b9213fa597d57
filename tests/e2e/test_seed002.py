"""The plain HTTP broker of seed 002 at the root, as its chat scripts use it (`--open`: they send no token)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.hubproc import HubProcess


@pytest.fixture(scope="module")
def open_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    hub = HubProcess(tmp_path_factory.mktemp("open-hub"), args=["--open"]).start()
    yield hub
    hub.stop()


@pytest.fixture
def chat(open_hub: HubProcess) -> Iterator[httpx.Client]:
    """What `chat.py` does: plain JSON over HTTP, no token."""
    with httpx.Client(base_url=open_hub.url, verify=False, timeout=30) as http:
        yield http


def _send(chat: httpx.Client, channel: str, sender: str, message: str) -> dict[str, Any]:
    response = chat.post(f"/messages/{channel}", json={"sender": sender, "message": message})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_post_registers_a_new_sender_and_reads_back(chat: httpx.Client, unique: str) -> None:
    channel = f"{unique}-general"
    sent = _send(chat, channel, f"warp-{unique}", "Hello from agent!")
    assert {k: sent[k] for k in ("status", "channel", "sender")} == {
        "status": "sent",
        "channel": channel,
        "sender": f"warp-{unique}",
    }
    assert isinstance(sent["seq"], int) and isinstance(sent["id"], str)
    agents = chat.get("/agents").json()
    assert agents["agents"].count(f"warp-{unique}") == 1
    _send(chat, channel, f"warp-{unique}", "second")  # an existing sender is reused, not registered again
    assert chat.get("/agents").json()["agents"].count(f"warp-{unique}") == 1
    read = chat.get(f"/messages/{channel}").json()
    assert read["channel"] == channel
    assert [(m["sender"], m["message"], m["channel"]) for m in read["messages"]] == [
        (f"warp-{unique}", "Hello from agent!", channel),
        (f"warp-{unique}", "second", channel),
    ]
    assert read["messages"][0]["seq"] == sent["seq"] and read["messages"][0]["id"] == sent["id"]
    assert datetime.fromisoformat(read["messages"][0]["timestamp"]).tzinfo is not None
    with httpx.Client(base_url=str(chat.base_url), verify=False) as http:
        api = http.get("/api/messages", params={"channel": channel}).json()
    agent = next(a for a in http_agents(chat) if a["name"] == f"warp-{unique}")
    assert [m["sender_id"] for m in api] == [agent["id"], agent["id"]]


def http_agents(chat: httpx.Client) -> list[dict[str, Any]]:
    agents: list[dict[str, Any]] = chat.get("/agents").json()["details"]
    return agents


def test_read_with_limit_and_since(chat: httpx.Client, unique: str) -> None:
    channel = f"{unique}-tasks"
    sent = [_send(chat, channel, "worker", f"task {i}") for i in range(5)]

    def read(**params: Any) -> list[str]:
        response = chat.get(f"/messages/{channel}", params=params)
        assert response.status_code == 200, response.text
        return [m["message"] for m in response.json()["messages"]]

    assert read() == [f"task {i}" for i in range(5)]
    assert read(limit=2) == ["task 3", "task 4"]
    assert read(since=sent[2]["seq"]) == ["task 3", "task 4"]
    assert read(since=sent[0]["seq"], limit=2) == ["task 1", "task 2"]
    stamps = [m["timestamp"] for m in chat.get(f"/messages/{channel}").json()["messages"]]
    assert read(since=stamps[2]) == ["task 3", "task 4"]
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert read(since=past) == [f"task {i}" for i in range(5)]
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert read(since=future) == []
    more = [_send(chat, channel, "worker", f"task {i}") for i in range(5, 12)]
    assert len(sent + more) == 12
    # A watcher polling with the last timestamp it saw gets the oldest `limit` after it, as with a seq: none skipped.
    assert read(since=stamps[0], limit=10) == [f"task {i}" for i in range(1, 11)]
    assert read(since=sent[0]["seq"], limit=10) == [f"task {i}" for i in range(1, 11)]
    bad = chat.get(f"/messages/{channel}", params={"since": "yesterday"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_since")
    assert chat.get("/messages/Not A Channel").status_code == 422


def test_channels_agents_and_status(chat: httpx.Client, unique: str) -> None:
    before = chat.get("/status").json()
    _send(chat, f"{unique}-alerts", f"monitor-{unique}", "High memory usage detected")
    _send(chat, f"{unique}-alerts", f"monitor-{unique}", "back to normal")
    channels = chat.get("/channels").json()
    assert f"{unique}-alerts" in channels["channels"]
    detail = next(d for d in channels["details"] if d["name"] == f"{unique}-alerts")
    assert detail["message_count"] == 2
    agents = chat.get("/agents").json()
    assert f"monitor-{unique}" in agents["agents"]
    assert {"name", "id", "status", "last_seen"} <= set(agents["details"][0])
    status = chat.get("/status").json()
    assert status["status"] == "running"
    assert status["total_messages"] == before["total_messages"] + 2
    assert status["agents"] == before["agents"] + 1


def test_an_agent_token_is_the_sender_whatever_the_body_says(open_hub: HubProcess, unique: str) -> None:
    me, token = open_hub.register(f"real-{unique}")
    victim, _ = open_hub.register(f"victim-{unique}")
    with open_hub.client(token) as http:
        response = http.post(f"/messages/{unique}-x", json={"sender": victim["name"], "message": "who am I"})
        assert response.status_code == 201
        assert response.json()["sender"] == me["name"]
        read = http.get(f"/messages/{unique}-x").json()["messages"]
    assert [(m["sender"], m["message"]) for m in read] == [(me["name"], "who am I")]
    with open_hub.client() as http:
        stored = http.get("/api/messages", params={"channel": f"{unique}-x"}).json()
    assert [m["sender_id"] for m in stored] == [me["id"]]


def test_bad_seed_posts_are_refused(chat: httpx.Client, unique: str) -> None:
    before = chat.get("/status").json()["total_messages"]
    for body in ({"sender": "x"}, {"message": 5, "sender": "x"}, {"sender": "has space", "message": "x"}):
        response = chat.post(f"/messages/{unique}", json=body)
        assert response.status_code == 422, body
        assert set(response.json()["error"]) == {"code", "message", "details"}
    assert chat.post("/messages/Bad Channel", json={"sender": "x", "message": "x"}).status_code == 422
    assert chat.get("/status").json()["total_messages"] == before


def test_the_root_routes_need_a_token_without_open(shared_hub: HubProcess) -> None:
    with httpx.Client(base_url=shared_hub.url, verify=False) as http:
        for path in ("/status", "/channels", "/agents", "/messages/general"):
            response = http.get(path)
            assert (response.status_code, response.json()["error"]["code"]) == (401, "unauthorized"), path
        response = http.post("/messages/general", json={"sender": "x", "message": "x"})
        assert response.status_code == 401
