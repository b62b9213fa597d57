"""The channel view: live messages, sending as the operator, logging in with the printed URL."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from agenthub import Client
from tests.browser.helpers import go, open_dashboard
from tests.hubproc import HubProcess

pytestmark = pytest.mark.browser


def test_the_login_url_stores_the_token_and_leaves_the_address_bar(page: Any, shared_hub: HubProcess) -> None:
    open_dashboard(page, shared_hub)
    assert "token" not in page.url
    assert page.evaluate("localStorage.getItem('agenthub.token')") == shared_hub.token
    page.reload()
    page.locator("[data-live=live]").wait_for()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_without_a_token_the_page_asks_for_one(page: Any, shared_hub: HubProcess) -> None:
    page.goto(f"{shared_hub.url}/")
    expect(page.get_by_role("heading", name="Sign in to agenthub")).to_be_visible()
    page.get_by_label("Hub token").fill(shared_hub.token)
    page.get_by_role("button", name="Sign in").click()
    page.locator("[data-live=live]").wait_for()


def test_a_message_sent_from_the_sdk_appears_without_reload(page: Any, shared_hub: HubProcess, unique: str) -> None:
    channel = f"web-{unique}"
    with Client.for_agent(f"poster-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as sdk:
        sdk.send_message("before the page opened", channel=channel)
        open_dashboard(page, shared_hub, f"channels/{channel}")
        log = page.get_by_role("log", name="Message log")
        expect(log.get_by_test_id("message")).to_have_count(1)
        page.evaluate("window.__sameDocument = true")

        sent = sdk.send_message(f"hello from python {unique}", channel=channel)
        sdk.send_message("thread reply", channel=channel, thread_id=f"th-{unique}", title="A thread")

        item = log.locator(f"[data-seq='{sent.seq}']")
        expect(item).to_contain_text(f"hello from python {unique}")
        expect(item).to_contain_text(f"poster-{unique}")
        expect(log.get_by_test_id("message")).to_have_count(3)
        expect(log).to_contain_text("A thread")
        assert page.evaluate("window.__sameDocument") is True  # no reload happened

        log.get_by_role("button", name="thread").click()
        expect(log.get_by_test_id("message")).to_have_count(1)
        expect(log.get_by_test_id("message")).to_contain_text("thread reply")


def test_the_operator_sends_a_message(page: Any, shared_hub: HubProcess, unique: str) -> None:
    channel = f"ops-{unique}"
    open_dashboard(page, shared_hub, f"channels/{channel}")
    expect(page.get_by_role("log", name="Message log")).to_contain_text("No messages in this channel yet")
    page.get_by_label("Message", exact=True).fill(f"operator says hi {unique}")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.get_by_role("log", name="Message log").get_by_test_id("message")).to_contain_text(
        f"operator says hi {unique}"
    )
    with shared_hub.client() as http:
        [stored] = http.get("/api/messages", params={"channel": channel}).json()
    assert stored["content"] == f"operator says hi {unique}"
    assert stored["sender_id"] is None  # the hub token is the operator


def test_direct_messages_show_read_marks_and_search_finds_messages(
    page: Any, shared_hub: HubProcess, unique: str
) -> None:
    _, alice = shared_hub.register(f"alice-{unique}")
    bob_agent, bob = shared_hub.register(f"bob-{unique}")
    with shared_hub.client(alice) as http:
        sent = http.post("/api/messages", json={"recipients": [bob_agent["id"]], "content": f"psst {unique}"}).json()
    with shared_hub.client(bob) as http:
        http.post(f"/api/messages/{sent['id']}/read").raise_for_status()
    open_dashboard(page, shared_hub, "channels/@direct")
    item = page.get_by_role("log", name="Message log").locator(f"[data-seq='{sent['seq']}']")
    expect(item).to_contain_text(f"psst {unique}")
    expect(item.locator("[data-receipt=read]")).to_have_count(1)

    go(page, "channels")
    page.get_by_label("Search messages").fill(f"psst {unique}")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name=f"Results for “psst {unique}”")).to_be_visible()
    expect(page.get_by_test_id("message")).to_contain_text(f"psst {unique}")


def test_board_threads_show_with_replies_and_take_the_operators_reply(
    page: Any, shared_hub: HubProcess, unique: str
) -> None:
    _, token = shared_hub.register(f"author-{unique}")
    with shared_hub.client(token) as http:
        thread = http.post("/api/threads", json={"title": f"Release plan {unique}", "content": "ship friday?"})
        assert thread.status_code == 201, thread.text
        http.post(f"/api/threads/{thread.json()['id']}/replies", json={"content": "agreed"}).raise_for_status()
    open_dashboard(page, shared_hub, "channels/@board")
    card = page.get_by_test_id("board-thread").filter(has_text=f"Release plan {unique}")
    expect(card).to_contain_text("1 replies")
    card.get_by_role("button", name=f"Release plan {unique}").click()
    expect(card).to_contain_text("ship friday?")
    expect(card).to_contain_text("agreed")
    card.get_by_label("Reply", exact=True).fill("friday it is")
    card.get_by_role("button", name="Reply", exact=True).click()
    expect(card.get_by_role("listitem").filter(has_text="friday it is")).to_contain_text("operator")
    with shared_hub.client() as http:
        replies = http.get(f"/api/threads/{thread.json()['id']}").json()["replies"]
    assert [(r["content"], r["author_id"]) for r in replies][-1] == ("friday it is", None)
