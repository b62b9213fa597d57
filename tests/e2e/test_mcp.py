"""The MCP server with the real MCP client: over stdio (`agenthub mcp --agent`) and over HTTP (the hub's `/mcp`)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from agenthub import Client
from tests.e2e.mcphelp import call, cli_env, http_agent, stdio_agent, text
from tests.hubproc import HubProcess

pytestmark = pytest.mark.e2e

TOOLS = {
    "whoami",
    "list_agents",
    "send_message",
    "read_inbox",
    "search_messages",
    "subscribe",
    "create_task",
    "claim_task",
    "complete_task",
    "fail_task",
    "memory_get",
    "memory_set",
    "lock_files",
    "unlock_files",
    "request_approval",
    "post_to_board",
}


async def test_two_agents_exchange_messages_over_stdio(shared_hub: HubProcess, unique: str) -> None:
    async with stdio_agent(shared_hub, f"alice-{unique}") as alice, stdio_agent(shared_hub, f"bob-{unique}") as bob:
        assert (await call(alice, "whoami"))["name"] == f"alice-{unique}"
        sent = await call(alice, "send_message", content="can you review auth.py?", to=[f"bob-{unique}"])
        inbox = await call(bob, "read_inbox")
        assert inbox == {
            "messages": [
                {
                    "seq": sent["sent"]["seq"],
                    "id": sent["sent"]["id"],
                    "from": f"alice-{unique}",
                    "to": [f"bob-{unique}"],
                    "content": "can you review auth.py?",
                    "at": inbox["messages"][0]["at"],
                }
            ]
        }
        assert (await call(bob, "read_inbox"))["messages"] == []  # acknowledged when returned
        await call(bob, "send_message", content="done, LGTM", to=[f"alice-{unique}"], thread_id=sent["sent"]["id"])
        [reply] = (await call(alice, "read_inbox"))["messages"]
        assert (reply["from"], reply["content"]) == (f"bob-{unique}", "done, LGTM")
        assert reply["thread_id"] == sent["sent"]["id"]


async def test_stdio_and_http_agents_talk_through_channels(shared_hub: HubProcess, unique: str) -> None:
    _, bob_token = shared_hub.register(f"bob-{unique}")
    channel = f"team-{unique}/general"
    async with stdio_agent(shared_hub, f"alice-{unique}") as alice, http_agent(shared_hub, bob_token) as bob:
        assert (await call(bob, "whoami"))["name"] == f"bob-{unique}"
        assert await call(bob, "subscribe", channel=f"team-{unique}/*") == {"subscribed": f"team-{unique}/*"}
        await call(alice, "send_message", content="standup in 5", channel=channel, title="standup")
        [message] = (await call(bob, "read_inbox"))["messages"]
        assert (message["from"], message["channel"], message["title"]) == (f"alice-{unique}", channel, "standup")
        [found] = await call(alice, "search_messages", query="standup")
        assert found["id"] == message["id"]
        names = {a["name"] for a in await call(alice, "list_agents")}
        assert {f"alice-{unique}", f"bob-{unique}"} <= names


async def test_inbox_wait_returns_as_soon_as_a_message_arrives(shared_hub: HubProcess, unique: str) -> None:
    _, alice_token = shared_hub.register(f"alice-{unique}")
    _, bob_token = shared_hub.register(f"bob-{unique}")
    async with http_agent(shared_hub, alice_token) as alice, http_agent(shared_hub, bob_token) as bob:
        started = time.monotonic()
        assert (await call(bob, "read_inbox", wait_seconds=1))["messages"] == []
        assert time.monotonic() - started >= 1  # with nothing to read, it does wait

        waiting = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            waiting.set()

        async def wait_for_mail() -> tuple[dict[str, Any], float]:
            begun = time.monotonic()
            result = await bob.call_tool("read_inbox", {"wait_seconds": 120}, progress_callback=on_progress)
            return json.loads(text(result)), time.monotonic() - begun

        waiter = asyncio.create_task(wait_for_mail())
        await asyncio.wait_for(waiting.wait(), 30)  # bob's tool call is under way and about to wait
        await call(alice, "send_message", content="wake up", to=[f"bob-{unique}"])
        inbox, took = await asyncio.wait_for(waiter, 60)
        assert [m["content"] for m in inbox["messages"]] == ["wake up"]
        assert took < 30


async def test_hub_errors_come_back_as_tool_errors(shared_hub: HubProcess, unique: str) -> None:
    async with stdio_agent(shared_hub, f"alice-{unique}") as alice:
        result = await alice.call_tool("send_message", {"content": "hi", "to": [f"ghost-{unique}"]})
        assert result.is_error
        assert f"no agent has id or name 'ghost-{unique}' [agent_not_found]" in text(result)
        result = await alice.call_tool("send_message", {"content": "hi", "channel": "Not A Channel"})
        assert result.is_error and "channel: String should match pattern" in text(result)
        result = await alice.call_tool("read_inbox", {"wait_seconds": 100_000})
        assert result.is_error and "wait_seconds" in text(result)
        assert (await call(alice, "whoami"))["name"] == f"alice-{unique}"  # the server lives on


async def test_http_tools_refuse_a_bad_token_with_the_hubs_401(shared_hub: HubProcess) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Authorization": "Bearer nope", "Accept": "application/json, text/event-stream"}
    response = httpx.post(f"{shared_hub.url}/mcp", json=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_token"
    # a stateless server pushes nothing: no GET stream is left open (the MCP transport allows a 405)
    response = httpx.get(f"{shared_hub.url}/mcp", headers={**headers, "Authorization": f"Bearer {shared_hub.token}"})
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


async def test_the_tool_list_is_small_and_complete(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"alice-{unique}")
    async with http_agent(shared_hub, token) as client:
        tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == TOOLS
    serialised = json.dumps([tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools])
    assert len(serialised) < 12_000, len(serialised)
    assert all(tool.description and tool.description.startswith("Use ") for tool in tools)


def test_agenthub_mcp_fails_fast_without_a_hub(tmp_path: Path) -> None:
    env = cli_env(HubProcess(tmp_path), AGENTHUB_URL="http://127.0.0.1:9", AGENTHUB_TOKEN="hub_x")
    done = subprocess.run(
        [sys.executable, "-m", "agenthub", "mcp", "--agent", "alice"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert "agenthub mcp: cannot reach the hub at http://127.0.0.1:9" in done.stderr


async def test_an_http_client_carries_on_across_a_hub_restart(hub: HubProcess) -> None:
    _, alice_token = hub.register("alice")
    hub.register("bob")
    async with http_agent(hub, alice_token) as alice:
        await call(alice, "send_message", content="before", to=["bob"])
        hub.restart()
        await call(alice, "send_message", content="after", to=["bob"])  # same MCP client, new hub process
    with Client(hub.url, token=hub.token) as operator:
        assert [m.content for m in operator.history()] == ["before", "after"]


async def test_a_task_created_by_one_agent_is_claimed_and_completed_by_another(
    shared_hub: HubProcess, unique: str
) -> None:
    _, bob_token = shared_hub.register(f"bob-{unique}")
    tag = f"tag-{unique}"
    async with stdio_agent(shared_hub, f"alice-{unique}") as alice, http_agent(shared_hub, bob_token) as bob:
        created = (await call(alice, "create_task", title="write the README", priority=4, tags=[tag]))["task"]
        assert (created["status"], created["creator"], created["priority"]) == ("pending", f"alice-{unique}", 4)
        claimed = (await call(bob, "claim_task", tags=[tag]))["task"]
        assert (claimed["id"], claimed["status"], claimed["assignee"]) == (
            created["id"],
            "in_progress",
            f"bob-{unique}",
        )
        assert await call(bob, "claim_task", tags=[tag]) == {"task": None, "note": "no task is ready for you"}
        result = await alice.call_tool("complete_task", {"task_id": created["id"], "result": "mine now"})
        assert result.is_error and "[not_assignee]" in text(result)  # only the holder records the result
        second = (await call(alice, "create_task", title="write the CHANGELOG", tags=[tag]))["task"]
        done = await call(
            bob, "complete_task", task_id=created["id"], result="README.md written", claim_next=True, tags=[tag]
        )
        assert done["task"] == {"id": created["id"], "status": "completed"}
        assert (done["next"]["id"], done["next"]["status"], done["next"]["assignee"]) == (
            second["id"],
            "in_progress",
            f"bob-{unique}",
        )
        last = await call(bob, "complete_task", task_id=second["id"], result="done", claim_next=True, tags=[tag])
        assert last == {
            "task": {"id": second["id"], "status": "completed"},
            "next": None,
            "note": "no task is ready for you",
        }
        again = await call(bob, "complete_task", task_id=second["id"], result="done")
        assert again == {"task": {"id": second["id"], "status": "completed"}}
    with Client(shared_hub.url, token=shared_hub.token) as operator:
        task = operator.get_task(created["id"])
    assert (task.status, task.result) == ("completed", "README.md written")


async def test_an_assigned_task_reaches_the_assignee_inbox_and_can_be_failed_for_a_retry(
    shared_hub: HubProcess, unique: str
) -> None:
    async with stdio_agent(shared_hub, f"alice-{unique}") as alice, stdio_agent(shared_hub, f"bob-{unique}") as bob:
        task = (await call(alice, "create_task", title="fix CI", assign_to=f"bob-{unique}"))["task"]
        [entry] = (await call(bob, "read_inbox"))["messages"]
        assert entry["event"] == "task:assigned"
        assert (entry["task"]["id"], entry["task"]["title"], entry["task"]["status"]) == (
            task["id"],
            "fix CI",
            "assigned",
        )
        started = (await call(bob, "claim_task", task_id=task["id"]))["task"]
        assert started["status"] == "in_progress"
        failed = await call(bob, "fail_task", task_id=task["id"], error="the runner is down", retry=True)
        assert failed == {"task": {"id": task["id"], "status": "pending", "attempts": 1}}


async def test_memory_compare_and_set_conflict_is_a_tool_error(shared_hub: HubProcess, unique: str) -> None:
    _, bob_token = shared_hub.register(f"bob-{unique}")
    key = f"plan/{unique}"
    async with stdio_agent(shared_hub, f"alice-{unique}") as alice, http_agent(shared_hub, bob_token) as bob:
        assert await call(alice, "memory_set", key=key, value={"step": 1}, if_version=0) == {"key": key, "version": 1}
        result = await bob.call_tool("memory_set", {"key": key, "value": {"step": 99}, "if_version": 0})
        assert result.is_error
        assert f"memory key '{key}' is at version 1, not version 0 [version_mismatch]" in text(result)
        current = await call(bob, "memory_get", key=key)
        assert (current["value"], current["version"], current["updated_by"]) == ({"step": 1}, 1, f"alice-{unique}")
        assert await call(bob, "memory_set", key=key, value={"step": 2}, if_version=1) == {"key": key, "version": 2}
        missing = await bob.call_tool("memory_get", {"key": f"{key}/nothing"})
        assert missing.is_error


async def test_file_locks_the_board_and_approvals(shared_hub: HubProcess, unique: str) -> None:
    _, bob_token = shared_hub.register(f"bob-{unique}")
    async with stdio_agent(shared_hub, f"alice-{unique}") as alice, http_agent(shared_hub, bob_token) as bob:
        lock = await call(alice, "lock_files", path=f"{unique}/api/*.py", intent="refactor the API")
        held = await bob.call_tool("lock_files", {"path": f"{unique}/api/users.py"})
        assert held.is_error and f"by alice-{unique} (refactor the API)" in text(held) and "[lock_held]" in text(held)
        assert await call(alice, "unlock_files", lock_id=lock["lock_id"]) == {"released": lock["lock_id"]}
        assert (await call(bob, "lock_files", path=f"{unique}/api/users.py"))["path"] == f"{unique}/api/users.py"

        thread = await call(alice, "post_to_board", title="API freeze", content="no API changes this week")
        assert thread["title"] == "API freeze"

        asked = await call(bob, "request_approval", action="drop the staging database", wait_seconds=0)
        assert asked["status"] == "pending"
        with Client(shared_hub.url, token=shared_hub.token) as operator:
            operator.approve(asked["approval_id"], reason="staging only")
        decided = await call(bob, "request_approval", approval_id=asked["approval_id"], wait_seconds=5)
        assert (decided["status"], decided["reason"]) == ("approved", "staging only")
