"""The dashboard says so when the hub can no longer store anything, without a reload."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import open_dashboard
from tests.hubproc import HubProcess

pytestmark = pytest.mark.browser


def test_a_removed_database_file_shows_an_alert_on_the_open_page(page: Any, hub: HubProcess) -> None:
    _, token = hub.register("writer")
    with hub.client(token) as http:
        http.post("/api/messages", json={"channel": "kept", "content": "before"}).raise_for_status()
    open_dashboard(page, hub, "overview")
    expect(page.get_by_text("Messages", exact=True).locator("..")).to_contain_text("1")
    expect(page.get_by_test_id("hub-problem")).to_have_count(0)

    for path in hub.data_dir.glob("agenthub.db*"):
        path.unlink()
    problem = page.get_by_test_id("hub-problem")
    expect(problem).to_be_visible(timeout=25_000)  # the hub looks each second, the page asks every 10 s
    expect(problem).to_contain_text("The hub cannot store anything now (storage_lost).")
    expect(problem).to_contain_text("Restart the hub.")
    expect(page.get_by_text("Messages", exact=True).locator("..")).to_contain_text("1")  # reads go on
