"""Every view renders against a live hub, at laptop and phone widths, with screenshots kept as artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import go, open_dashboard
from tests.hubproc import HubProcess

pytestmark = pytest.mark.browser

VIEWS = ["overview", "agents", "channels", "tasks", "memory", "locks", "approvals", "audit"]


def _seed(hub: HubProcess, unique: str) -> str:
    """A little of everything the views show; returns the channel name."""
    channel = f"team-{unique}"
    planner, planner_token = hub.register(f"planner-{unique}", type="claude", capabilities=["plan", "python"])
    _, worker_token = hub.register(f"worker-{unique}", capabilities=["python", "tests"])
    with hub.client(planner_token) as http:
        http.post("/api/messages", json={"channel": channel, "content": "Plan is up", "title": "Kickoff"})
    with hub.client(worker_token) as http:
        http.post("/api/messages", json={"channel": channel, "content": "On it"})
        http.post("/api/messages", json={"recipients": [planner["id"]], "content": "question about step 2"})
    return channel


@pytest.mark.parametrize("width", [1280, 420])
def test_each_view_renders_and_is_captured(
    page: Any, shared_hub: HubProcess, unique: str, artifacts: Path, width: int
) -> None:
    channel = _seed(shared_hub, unique)
    page.set_viewport_size({"width": width, "height": 860})
    open_dashboard(page, shared_hub)
    for view in VIEWS:
        go(page, f"{view}/{channel}" if view == "channels" else view)
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(view.capitalize())
        expect(page.get_by_role("status", name="Loading", exact=False)).to_have_count(0)
        page.screenshot(path=str(artifacts / f"{view}-{width}.png"), full_page=True)
    go(page, f"channels/{channel}")
    expect(page.get_by_role("log", name="Message log").get_by_test_id("message")).to_have_count(2)
    go(page, "agents")
    expect(page.locator(f"[data-agent='planner-{unique}']")).to_contain_text("python")


def test_views_are_reachable_by_keyboard(page: Any, shared_hub: HubProcess) -> None:
    open_dashboard(page, shared_hub)
    nav = page.get_by_role("navigation", name="Views")
    nav.get_by_role("link", name="Overview").focus()
    for name in ["Agents", "Channels"]:
        page.keyboard.press("Tab")
        expect(nav.get_by_role("link", name=name)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Channels")
