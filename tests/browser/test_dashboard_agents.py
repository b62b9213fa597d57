"""The agents view follows presence live: an agent that connects shows online and joined, then offline and left."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.browser.helpers import open_dashboard
from tests.hubproc import HubProcess

pytestmark = pytest.mark.browser


def test_an_agent_joining_and_leaving_shows_live(page: Any, shared_hub: HubProcess, unique: str) -> None:
    name = f"live-{unique}"
    agent, token = shared_hub.register(name, capabilities=["search"])
    open_dashboard(page, shared_hub, "agents")
    row = page.locator(f"[data-testid=agent-row][data-agent='{name}']")
    expect(row.locator("[data-presence]")).to_have_attribute("data-presence", "offline")
    feed = page.get_by_role("heading", name="Joined and left, live").locator("xpath=../..")

    with connect(f"{shared_hub.ws_url}/ws/{agent['id']}?token={token}") as ws:
        ws.send(json.dumps({"type": "agent:register", "id": "r", "data": {}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ack"
        expect(row.locator("[data-presence]")).to_have_attribute("data-presence", "online")
        expect(feed).to_contain_text(f"{name} joined")
    expect(row.locator("[data-presence]")).to_have_attribute("data-presence", "offline")
    expect(feed).to_contain_text(f"{name} left")
    expect(row).to_contain_text("search")
