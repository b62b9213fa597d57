from __future__ import annotations

from tests.hubproc import HubProcess


def test_health_and_register(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"smoke-{unique}")
    with shared_hub.client(token) as http:
        me = http.get("/api/me").json()
    assert me["id"] == agent["id"]
    assert me["name"] == f"smoke-{unique}"
