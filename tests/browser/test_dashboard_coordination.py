"""Approvals decided in the page unblock the waiting agent; tasks move across the board as workers finish them.

These need the tasks and coordination features (`/api/tasks`, `/api/approvals`) on the hub.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import go, open_dashboard
from tests.hubproc import HubProcess

pytestmark = pytest.mark.browser


def test_an_approval_is_approved_in_the_page_and_the_waiting_agent_goes_on(
    page: Any, shared_hub: HubProcess, unique: str
) -> None:
    _, token = shared_hub.register(f"deployer-{unique}")
    action = f"deploy {unique} to production"
    with shared_hub.client(token) as http:
        created = http.post("/api/approvals", json={"action": action, "details": {"version": "1.2.3"}})
        assert created.status_code == 201, created.text
    approval = created.json()
    answers: list[dict[str, Any]] = []

    def wait_for_decision() -> None:  # the agent's blocking call
        with shared_hub.client(token) as http:
            answers.append(http.get(f"/api/approvals/{approval['id']}", params={"wait": 30}).json())

    waiter = threading.Thread(target=wait_for_decision)
    waiter.start()
    open_dashboard(page, shared_hub, "approvals")
    card = page.locator(f"[data-testid=approval][data-action='{action}']")
    expect(card).to_contain_text("1.2.3")
    card.get_by_label("Reason (optional)").fill("looks good")
    card.get_by_role("button", name="Approve").click()
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    [answer] = answers
    assert answer["status"] == "approved"
    assert answer["decided_by"] is None  # the operator
    assert answer["reason"] == "looks good"
    expect(page.locator(f"[data-testid=approval][data-action='{action}']")).to_have_attribute("data-status", "approved")

    with shared_hub.client(token) as http:  # a request made while the page is open shows up live
        http.post("/api/approvals", json={"action": f"roll back {unique}"}).raise_for_status()
    pending = page.locator(f"[data-testid=approval][data-action='roll back {unique}']")
    expect(pending).to_have_attribute("data-status", "pending")


def test_a_task_completed_by_a_worker_moves_to_done_with_its_check_mark(
    page: Any, shared_hub: HubProcess, unique: str
) -> None:
    tag = f"web-{unique}"
    title = f"write the report {unique}"
    _, worker = shared_hub.register(f"worker-{unique}", capabilities=["writing"])
    with shared_hub.client() as http:
        created = http.post("/api/tasks", json={"title": title, "tags": [tag], "priority": 4})
        assert created.status_code == 201, created.text
    open_dashboard(page, shared_hub, "tasks")
    card = page.locator(f"[data-testid=task-card][data-task='{title}']")
    expect(page.locator("[data-column=pending]").locator(card)).to_be_visible()
    expect(card).to_contain_text("P4")

    with shared_hub.client(worker) as http:
        claimed = http.post("/api/tasks/claim", json={"tags": [tag]})
        assert claimed.status_code == 200, claimed.text
        task = claimed.json()
        expect(page.locator("[data-column=in_progress], [data-column=assigned]").locator(card)).to_be_visible()
        assert card.get_by_test_id("task-done").count() == 0
        lease = task["lease_token"]
        done = http.post(f"/api/tasks/{task['id']}/complete", json={"result": "done", "lease_token": lease})
        assert done.status_code == 200, done.text

    done_card = page.locator("[data-column=completed]").locator(card)
    expect(done_card).to_be_visible()
    expect(done_card.get_by_test_id("task-done")).to_be_visible()
    done_card.click()
    expect(page.get_by_role("dialog")).to_contain_text("Done")
    expect(page.get_by_role("img", name="Dependency graph: 1 tasks, 0 dependencies")).to_be_visible()


def test_the_operator_creates_a_task_with_a_dependency_and_sees_the_graph(
    page: Any, shared_hub: HubProcess, unique: str
) -> None:
    with shared_hub.client() as http:
        first = http.post("/api/tasks", json={"title": f"design {unique}"})
        assert first.status_code == 201, first.text
    open_dashboard(page, shared_hub, "tasks")
    page.get_by_role("button", name="New task").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill(f"build {unique}")
    dialog.get_by_label(f"design {unique}").check()
    dialog.get_by_role("button", name="Create task").click()
    card = page.locator(f"[data-testid=task-card][data-task='build {unique}']")
    expect(card).to_be_visible()
    card.click()
    expect(page.get_by_role("img", name="Dependency graph: 2 tasks, 1 dependencies")).to_be_visible()
    page.get_by_role("dialog").get_by_role("button", name="Cancel task").click()
    expect(page.locator("[data-column=cancelled]").locator(card)).to_be_visible()
    go(page, "overview")
