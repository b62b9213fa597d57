"""Memory with its history and diffs, locks and the audit log, against a hub that has them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import go, open_dashboard
from tests.hubproc import HubProcess

pytestmark = pytest.mark.browser


def test_memory_shows_the_value_live_and_diffs_versions(page: Any, shared_hub: HubProcess, unique: str) -> None:
    key = f"plan/{unique}"
    _, token = shared_hub.register(f"planner-{unique}")
    with shared_hub.client(token) as http:
        for steps in (["design"], ["design", "build"]):
            http.put(f"/api/memory/key/{key}", json={"value": {"steps": steps}}).raise_for_status()
    open_dashboard(page, shared_hub, f"memory/{key}")
    expect(page.get_by_test_id("memory-value")).to_contain_text('"build"')
    diff = page.get_by_label("Differences between the versions")
    expect(diff).to_contain_text('+     "build"')

    with shared_hub.client(token) as http:  # a write while the page is open: the value and history follow
        http.put(f"/api/memory/key/{key}", json={"value": {"steps": ["design", "build", "ship"]}}).raise_for_status()
    expect(page.get_by_test_id("memory-value")).to_contain_text('"ship"')
    expect(page.get_by_text("version 3", exact=False)).to_be_visible()
    page.get_by_label("Compare").select_option("1")
    expect(diff).to_contain_text('+     "ship"')
    expect(diff).to_contain_text('-     "design"')


def test_locks_and_the_audit_log_with_its_verified_chain(page: Any, shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"editor-{unique}")
    resource = f"src/{unique}/*.py"
    with shared_hub.client(token) as http:
        lock = http.post("/api/locks", json={"resource": resource, "intent": "refactor", "ttl_seconds": 600})
        assert lock.status_code == 201, lock.text
        http.post("/api/audit", json={"decision_type": "design", "context": unique, "reason": "simpler"})
    open_dashboard(page, shared_hub, "locks")
    row = page.get_by_role("table", name="Locks").get_by_role("row").filter(has_text=resource)
    expect(row).to_contain_text(f"editor-{unique}")
    expect(row).to_contain_text("exclusive")
    expect(row).to_contain_text("refactor")

    go(page, "audit")
    expect(page.locator("[data-verified]")).to_have_attribute("data-verified", "ok")
    page.get_by_label("Actor").select_option(agent["id"])
    page.get_by_role("button", name="Filter").click()
    log = page.get_by_role("table", name="Audit log")
    expect(log.get_by_role("row")).to_have_count(3)  # header, the lock, the logged decision
    expect(log).to_contain_text("lock.")
    expect(log).to_contain_text("decision")
