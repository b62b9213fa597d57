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
        assert response.json()["error"]["code"] == "invalid_metadata"
        assert http.get("/api/messages", params={"channel": f"c-{unique}"}).json() == []
