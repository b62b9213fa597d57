from __future__ import annotations

from tests.hubproc import HubProcess


def test_health_and_register(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"smoke-{unique}")
    with shared_hub.client(token) as http:
        me = http.get("/api/me").json()
    assert me["id"] == agent["id"]
    assert me["name"] == f"smoke-{unique}"


def test_metadata_that_is_not_storable_json_is_refused(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"big-int-{unique}")
    with shared_hub.client(token) as http:
        response = http.post("/api/messages", json={"channel": f"c-{unique}", "content": "x", "metadata": {"n": 2**70}})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_field"
        assert response.json()["error"]["details"][0]["loc"] == ["body", "metadata"]
        assert http.get("/api/messages", params={"channel": f"c-{unique}"}).json() == []


def test_last_seq_never_moves_back_and_agents_are_reachable_by_name(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"seq-{unique}")
    with shared_hub.client(token) as http:
        message = http.post("/api/messages", json={"channel": f"s-{unique}", "content": "x"}).json()
        assert http.delete(f"/api/messages/{message['id']}").status_code == 204
        assert http.get("/api/status").json()["last_seq"] >= message["seq"]
        subscription = http.post(f"/api/channels/s-{unique}/subscribe").json()
        assert subscription["since_seq"] >= message["seq"]
        assert http.put(f"/api/agents/seq-{unique}/status", json={"status": "busy"}).json()["status"] == "busy"
        assert http.post(f"/api/agents/seq-{unique}/heartbeat").status_code == 200


def test_registering_again_changes_only_what_is_sent(shared_hub: HubProcess, unique: str) -> None:
    agent, _ = shared_hub.register(f"keep-{unique}", type="llm", capabilities=["python"], metadata={"team": "a"})
    again, _ = shared_hub.register(f"keep-{unique}")
    assert (again["id"], again["type"], again["capabilities"], again["metadata"]) == (
        agent["id"], "llm", ["python"], {"team": "a"}
    )  # fmt: skip
    changed, _ = shared_hub.register(f"keep-{unique}", capabilities=["go"])
    assert (changed["type"], changed["capabilities"], changed["metadata"]) == ("llm", ["go"], {"team": "a"})
