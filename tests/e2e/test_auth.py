"""Tokens and identity: who may do what, and that an agent can never act as another."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.exceptions import ConnectionClosed

from tests.e2e.wsutil import Peer, publish
from tests.hubproc import HubProcess

ERROR_KEYS = {"code", "message", "details"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _is_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.mark.parametrize("configured_token", [False, True], ids=["generated-token", "env-token"])
def test_data_dir_is_private_and_token_file_is_0600(tmp_path: Path, configured_token: bool) -> None:
    fresh = tmp_path / "fresh" / "agenthub"
    env = {"AGENTHUB_TOKEN": "hub-token-from-env"} if configured_token else {}
    hub = HubProcess(tmp_path / "logs", args=["--data-dir", str(fresh)], env=env).start()
    try:
        assert _mode(fresh) & 0o077 == 0, oct(_mode(fresh))
        if configured_token:
            assert not (fresh / "token").exists()
        else:
            assert _mode(fresh / "token") == 0o600
            assert (fresh / "token").read_text().strip().startswith("hub_")
    finally:
        hub.stop()


def test_register_is_idempotent_by_name_with_a_new_token_each_time(shared_hub: HubProcess, unique: str) -> None:
    first, token1 = shared_hub.register(f"idem-{unique}", type="worker")
    again, token2 = shared_hub.register(f"idem-{unique}", type="worker")
    assert again["id"] == first["id"]
    assert token1 != token2
    for token in (token1, token2):
        with shared_hub.client(token) as http:
            assert http.get("/api/me").json()["id"] == first["id"]


def test_register_with_an_agent_token_is_forbidden(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"reg-{unique}")
    with shared_hub.client(token) as http:
        response = http.post("/api/agents/register", json={"name": f"other-{unique}"})
    _is_error(response, 403, "operator_only")
    with shared_hub.client() as http:
        assert http.get(f"/api/agents/other-{unique}").status_code == 404


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthorized"),
        ({"Authorization": "Bearer not-a-token"}, "bad_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthorized"),
    ],
    ids=["none", "unknown", "not-bearer"],
)
def test_missing_or_bad_token_is_401(shared_hub: HubProcess, headers: dict[str, str], code: str) -> None:
    with httpx.Client(base_url=shared_hub.url, headers=headers) as http:
        for method, path in [("GET", "/api/agents"), ("POST", "/api/messages"), ("GET", "/api/inbox")]:
            _is_error(http.request(method, path, json={"content": "x", "channel": "general"}), 401, code)


def test_websocket_needs_a_valid_token(shared_hub: HubProcess, unique: str) -> None:
    agent, _ = shared_hub.register(f"wsauth-{unique}")
    with Peer(shared_hub, agent["id"], "not-a-token") as peer:
        frame = peer.wait_for(lambda f: True)
        assert frame["type"] == "error"
        assert frame["error"]["code"] == "bad_token"
        with pytest.raises(ConnectionClosed):
            peer.ws.recv(timeout=10)
        assert peer.ws.close_code == 1008


def test_websocket_to_another_agents_path_is_refused(shared_hub: HubProcess, unique: str) -> None:
    victim, _ = shared_hub.register(f"victim-{unique}")
    _, token = shared_hub.register(f"intruder-{unique}")
    for path in (victim["id"], victim["name"]):
        with Peer(shared_hub, path, token) as peer:
            frame = peer.wait_for(lambda f: True)
            assert frame["type"] == "error"
            assert frame["error"]["code"] == "not_yourself"
            assert frame["error"]["status"] == 403
            with pytest.raises(ConnectionClosed):
                peer.ws.recv(timeout=10)
            assert peer.ws.close_code == 1008


def test_an_agent_cannot_change_another(shared_hub: HubProcess, unique: str) -> None:
    victim, victim_token = shared_hub.register(f"victim-{unique}", type="worker")
    _, token = shared_hub.register(f"intruder-{unique}")
    target = f"/api/agents/{victim['id']}"
    with shared_hub.client(token) as http:
        _is_error(http.put(target, json={"type": "evil"}), 403, "not_yourself")
        _is_error(http.put(f"{target}/status", json={"status": "busy"}), 403, "not_yourself")
        _is_error(http.post(f"{target}/heartbeat"), 403, "not_yourself")
        _is_error(http.delete(target), 403, "not_yourself")
    with shared_hub.client(victim_token) as http:
        me = http.get("/api/me").json()
    assert me["type"] == "worker"
    assert me["status"] == "offline"


def test_an_agent_cannot_delete_another_agents_message(shared_hub: HubProcess, unique: str) -> None:
    _, author_token = shared_hub.register(f"author-{unique}")
    _, token = shared_hub.register(f"intruder-{unique}")
    message = publish(shared_hub, author_token, channel=f"{unique}-general", content="mine")
    with shared_hub.client(token) as http:
        _is_error(http.delete(f"/api/messages/{message['id']}"), 403, "not_sender")
    with shared_hub.client(author_token) as http:
        assert http.get(f"/api/messages/{message['id']}").json()["content"] == "mine"
        assert http.delete(f"/api/messages/{message['id']}").status_code == 204
        _is_error(http.get(f"/api/messages/{message['id']}"), 404, "message_not_found")


def _ids(messages: list[dict[str, Any]]) -> set[str]:
    return {m["id"] for m in messages}


def test_direct_messages_of_others_are_invisible(shared_hub: HubProcess, unique: str) -> None:
    alice, alice_token = shared_hub.register(f"alice-{unique}")
    bob, bob_token = shared_hub.register(f"bob-{unique}")
    _, eve_token = shared_hub.register(f"eve-{unique}")
    word = f"secretword{unique}"
    secret = publish(shared_hub, alice_token, recipients=[bob["id"]], content=f"the {word}")

    with shared_hub.client(eve_token) as http:
        _is_error(http.get(f"/api/messages/{secret['id']}"), 404, "message_not_found")
        _is_error(http.post(f"/api/messages/{secret['id']}/read"), 404, "message_not_found")
        _is_error(http.delete(f"/api/messages/{secret['id']}"), 404, "message_not_found")
        assert secret["id"] not in _ids(http.get("/api/messages", params={"sender_id": alice["id"]}).json())
        assert secret["id"] not in _ids(http.get("/api/messages", params={"limit": 1000}).json())
        assert secret["id"] not in _ids(http.get("/api/messages/recent").json())
        assert http.get("/api/search", params={"q": word}).json() == []
        assert secret["id"] not in _ids(http.get("/api/inbox").json())

    for token in (alice_token, bob_token, shared_hub.token):
        with shared_hub.client(token) as http:
            assert http.get(f"/api/messages/{secret['id']}").json()["content"] == f"the {word}"
            assert secret["id"] in _ids(http.get("/api/messages", params={"sender_id": alice["id"]}).json())
            assert secret["id"] in _ids(http.get("/api/messages/recent").json())
            assert _ids(http.get("/api/search", params={"q": word}).json()) == {secret["id"]}
    with shared_hub.client(bob_token) as http:
        assert secret["id"] in _ids(http.get("/api/inbox").json())


def test_the_sender_is_never_taken_from_the_body(shared_hub: HubProcess, unique: str) -> None:
    victim, _ = shared_hub.register(f"victim-{unique}")
    _, token = shared_hub.register(f"intruder-{unique}")
    forged = {"channel": f"{unique}-general", "content": "forged", "sender_id": victim["id"]}
    with shared_hub.client(token) as http:
        response = http.post("/api/messages", json=forged)
        _is_error(response, 422, "invalid_field")
        assert response.json()["error"]["details"][0]["loc"] == ["body", "sender_id"]
        _is_error(http.post("/api/messages/batch", json={"messages": [forged]}), 422, "invalid_field")
        assert http.get("/api/messages", params={"channel": f"{unique}-general"}).json() == []


def test_the_sender_is_never_taken_from_a_websocket_frame(shared_hub: HubProcess, unique: str) -> None:
    victim, _ = shared_hub.register(f"victim-{unique}")
    intruder, token = shared_hub.register(f"intruder-{unique}")
    with Peer(shared_hub, intruder["id"], token) as peer:
        frame = peer.request("message:send", {"channel": f"{unique}-c", "content": "x", "sender_id": victim["id"]})
        assert frame["type"] == "error"
        assert frame["error"]["code"] == "invalid_field"
        ack = peer.ack("message:send", {"channel": f"{unique}-c", "content": "honest"})
    with shared_hub.client() as http:
        stored = http.get("/api/messages", params={"channel": f"{unique}-c"}).json()
    assert [(m["content"], m["sender_id"], m["seq"]) for m in stored] == [("honest", intruder["id"], ack["seq"])]


def test_the_operator_sees_and_manages_everything(shared_hub: HubProcess, unique: str) -> None:
    alice, alice_token = shared_hub.register(f"alice-{unique}")
    bob, _ = shared_hub.register(f"bob-{unique}")
    secret = publish(shared_hub, alice_token, recipients=[bob["id"]], content="between us")
    with shared_hub.client() as http:
        assert http.get(f"/api/messages/{secret['id']}").json()["receipts"][0]["agent_id"] == bob["id"]
        assert http.put(f"/api/agents/{bob['id']}/status", json={"status": "busy"}).json()["status"] == "busy"
        assert http.put(f"/api/agents/{bob['id']}", json={"type": "reviewer"}).json()["type"] == "reviewer"
        assert http.delete(f"/api/messages/{secret['id']}").status_code == 204
        assert http.delete(f"/api/agents/{alice['id']}").status_code == 204
        _is_error(http.get(f"/api/agents/{alice['id']}"), 404, "agent_not_found")
    with shared_hub.client(alice_token) as http:
        _is_error(http.get("/api/me"), 401, "bad_token")


def test_open_is_refused_on_a_public_address(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agenthub", "serve", "--open", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    assert "--open" in output and "0.0.0.0" in output


def test_open_on_loopback_needs_no_token(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub", args=["--open"]).start()
    try:
        with httpx.Client(base_url=hub.url) as http:
            registered = http.post("/api/agents/register", json={"name": "open-agent"})
            assert registered.status_code == 201
            assert http.post("/api/messages", json={"channel": "general", "content": "hi"}).status_code == 201
            assert [m["content"] for m in http.get("/api/messages", params={"channel": "general"}).json()] == ["hi"]
            # A token that is given must still be a real one.
            bad = http.get("/api/agents", headers={"Authorization": "Bearer nonsense"})
            _is_error(bad, 401, "bad_token")
        _, token = hub.register("with-token")
        with hub.client(token) as http:
            assert http.get("/api/me").json()["name"] == "with-token"
    finally:
        hub.stop()


def test_websocket_token_in_the_query_string(shared_hub: HubProcess, unique: str) -> None:
    """Browsers cannot set headers on a WebSocket: `?token=` works the same way."""
    from websockets.sync.client import connect

    agent, token = shared_hub.register(f"browser-{unique}")
    with connect(f"{shared_hub.ws_url}/ws/{agent['id']}?token={token}", open_timeout=10) as ws:
        ws.send('{"type": "agent:register", "id": 1, "data": {}}')
        reply = orjson.loads(ws.recv(timeout=10))
    assert (reply["type"], reply["id"], reply["data"]["agent"]["id"]) == ("ack", 1, agent["id"])
    with connect(f"{shared_hub.ws_url}/ws/{agent['id']}?token=wrong", open_timeout=10) as ws:
        refused = orjson.loads(ws.recv(timeout=10))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert refused["error"]["code"] == "bad_token"


def test_the_operator_websocket_streams_everything(shared_hub: HubProcess, unique: str) -> None:
    _, alice_token = shared_hub.register(f"alice-{unique}")
    bob, _ = shared_hub.register(f"bob-{unique}")
    before = publish(shared_hub, alice_token, recipients=[bob["id"]], content="before")
    with Peer(shared_hub, "dashboard", shared_hub.token) as operator:
        ack = operator.register(since=before["seq"] - 1)
        assert (ack["agent"], ack["subscriptions"]) == (None, [])
        assert operator.message()["data"]["id"] == before["id"]  # replayed
        live = publish(shared_hub, alice_token, recipients=[bob["id"]], content="between them")
        public = publish(shared_hub, alice_token, channel=f"{unique}-anything", content="public")
        mine = [operator.message(lambda m, i=i: m["id"] == i)["data"]["content"] for i in (live["id"], public["id"])]
        assert mine == ["between them", "public"]
        refused = operator.request("message:ack", {"seq": 1})
        assert (refused["type"], refused["error"]["code"]) == ("error", "agent_only")
