"""`agenthub hook claude-stop`: Claude Code's Stop hook against a live hub, run as Claude Code runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from agenthub import Client
from tests.e2e.mcphelp import cli_env
from tests.hubproc import HubProcess

pytestmark = pytest.mark.e2e


def stop_hook(hub: HubProcess, agent: str, payload: dict[str, Any], *args: str, **env: str) -> dict[str, Any] | None:
    """Run the hook with Claude Code's Stop-hook JSON on stdin; its decision, or None when it lets the stop through."""
    done = subprocess.run(
        [sys.executable, "-m", "agenthub", "hook", "claude-stop", "--agent", agent, *args],
        input=json.dumps({"hook_event_name": "Stop", "transcript_path": "/tmp/t.jsonl", **payload}),
        env=cli_env(hub, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    if not done.stdout.strip():
        return None
    decision: dict[str, Any] = json.loads(done.stdout)
    return decision


def test_the_stop_goes_through_when_nothing_is_new(shared_hub: HubProcess, unique: str) -> None:
    assert stop_hook(shared_hub, f"idle-{unique}", {"session_id": "s1", "stop_hook_active": False}) is None


def test_unread_messages_block_the_stop_with_them_as_the_reason(shared_hub: HubProcess, unique: str) -> None:
    worker = f"worker-{unique}"
    assert stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False}) is None  # registers it
    with Client.for_agent(f"lead-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as lead:
        lead.send_message("please fix the flaky login test", recipients=[worker], title="bug 12")
        decision = stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False})
    assert decision is not None and decision["decision"] == "block"
    assert f"- from lead-{unique} (direct, seq " in decision["reason"]
    assert "): bug 12: please fix the flaky login test" in decision["reason"]
    assert decision["reason"].startswith("agenthub: 1 new item for you")
    # acknowledged: the next stop has nothing to show
    assert stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": True}) is None


def test_consecutive_blocks_are_capped_so_the_agent_can_always_stop(shared_hub: HubProcess, unique: str) -> None:
    worker = f"worker-{unique}"
    stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False})
    cap = ["--max-blocks", "2"]
    with Client.for_agent(f"chatty-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as chatty:
        chatty.send_message("one", recipients=[worker])
        assert stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False}, *cap) is not None
        chatty.send_message("two", recipients=[worker])
        assert stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": True}, *cap) is not None
        chatty.send_message("three", recipients=[worker])
        # a third block in a row would pass the cap: the stop goes through and "three" stays unread
        assert stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": True}, *cap) is None
        # another session keeps its own count
        other = stop_hook(shared_hub, worker, {"session_id": "s2", "stop_hook_active": True}, *cap)
    assert other is not None and "): three" in other["reason"]


def test_a_stop_after_a_fresh_turn_starts_the_count_again(shared_hub: HubProcess, unique: str) -> None:
    worker = f"worker-{unique}"
    stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False})
    cap = ["--max-blocks", "1"]
    with Client.for_agent(f"lead-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as lead:
        lead.send_message("first", recipients=[worker])
        assert stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False}, *cap) is not None
        lead.send_message("second", recipients=[worker])
        assert stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": True}, *cap) is None
        decision = stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False}, *cap)
    assert decision is not None and "): second" in decision["reason"]


def test_with_wait_a_message_sent_meanwhile_blocks_the_stop(shared_hub: HubProcess, unique: str) -> None:
    worker = f"worker-{unique}"
    stop_hook(shared_hub, worker, {"session_id": "s1"})
    hook = subprocess.Popen(
        [sys.executable, "-m", "agenthub", "hook", "claude-stop", "--agent", worker, "--wait", "60"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(shared_hub),
        text=True,
    )
    with Client.for_agent(f"lead-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as lead:
        lead.send_message("new work for you", recipients=[worker])
    out, err = hook.communicate(json.dumps({"session_id": "s1", "stop_hook_active": False}), timeout=60)
    assert hook.returncode == 0, err
    assert "): new work for you" in json.loads(out)["reason"]


def test_an_unreachable_hub_never_traps_the_agent(shared_hub: HubProcess, unique: str) -> None:
    decision = stop_hook(shared_hub, f"w-{unique}", {"session_id": "s1"}, AGENTHUB_URL="http://127.0.0.1:9")
    assert decision is None


def test_garbage_on_stdin_is_treated_as_an_empty_payload(shared_hub: HubProcess, unique: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agenthub", "hook", "claude-stop", "--agent", f"w-{unique}"],
        input="not json",
        env=cli_env(shared_hub),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "")


def test_a_newly_assigned_task_blocks_the_stop(shared_hub: HubProcess, unique: str) -> None:
    worker = f"worker-{unique}"
    stop_hook(shared_hub, worker, {"session_id": "s1"})
    with Client.for_agent(f"lead-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as lead:
        task = lead.create_task("migrate the users table", description="add the email column", assign_to=worker)
    decision = stop_hook(shared_hub, worker, {"session_id": "s1", "stop_hook_active": False})
    assert decision is not None
    assert (
        f"- task assigned to you: 'migrate the users table' (task_id {task.id}): add the email column"
        in (decision["reason"])
    )


def test_a_wrong_hook_command_line_exits_1_never_2_which_claude_code_reads_as_block(shared_hub: HubProcess) -> None:
    for wrong in (["--wait", "9999"], ["--no-such-option"], []):
        done = subprocess.run(
            [sys.executable, "-m", "agenthub", "hook", "claude-stop", *(["--agent", "w"] if wrong else []), *wrong],
            input="{}",
            env=cli_env(shared_hub),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stdout) == (1, ""), wrong
