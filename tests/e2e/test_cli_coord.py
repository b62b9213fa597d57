"""The installed `agenthub` CLI's coordination commands (seed 003) against a live hub."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.clihelp import Streaming, cli, ok, ok_json
from tests.hubproc import HubProcess


def test_locks_conflict_name_the_holder_and_unlock_by_path(shared_hub: HubProcess, unique: str) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    path = f"{unique}/backend/main.py"
    held = ok_json(shared_hub, "--agent", alice, "lock", path, "--intent", "add /health endpoint")
    assert (held["resource"], held["mode"], held["holder_name"], held["intent"]) == (
        path,
        "exclusive",
        alice,
        "add /health endpoint",
    )
    refused = cli(shared_hub, "--agent", bob, "lock", f"{unique}/backend/*.py", "--intent", "refactor")
    assert refused.code == 1 and refused.out == "" and len(refused.err_lines) == 1 and "[lock_held]" in refused.err

    [listed] = ok_json(shared_hub, "locks", "--resource", path)
    assert listed["id"] == held["id"]
    table = ok(shared_hub, "locks").out
    assert path in table and alice in table and "add /health endpoint" in table

    not_mine = cli(shared_hub, "--agent", bob, "unlock", path)
    assert not_mine.code == 1 and len(not_mine.err_lines) == 1
    assert ok(shared_hub, "--agent", alice, "unlock", path).out.strip() == f"unlocked {path}"
    assert ok_json(shared_hub, "locks", "--resource", path) == []
    assert ok_json(shared_hub, "--agent", bob, "lock", f"{unique}/backend/*.py", "--shared")["mode"] == "shared"


def test_board_threads_post_reply_show(shared_hub: HubProcess, unique: str) -> None:
    channel = f"board-{unique}"
    thread = ok_json(
        shared_hub, "--agent", f"poster-{unique}", "thread", "post", "Deploy done", "Backend", "v2", "--priority",
        "high", "--channel", channel,
    )  # fmt: skip
    assert (thread["title"], thread["content"], thread["priority"], thread["channel"]) == (
        "Deploy done",
        "Backend v2",
        "high",
        channel,
    )
    reply = ok_json(shared_hub, "thread", "reply", thread["id"][:8], "verified", "on", "staging")
    assert (reply["thread_id"], reply["content"], reply["author_id"]) == (thread["id"], "verified on staging", None)

    [listed] = ok_json(shared_hub, "board", "--channel", channel)
    assert (listed["id"], listed["reply_count"]) == (thread["id"], 1)
    shown = ok_json(shared_hub, "thread", "show", thread["id"])
    assert [r["content"] for r in shown["replies"]] == ["verified on staging"]
    table = ok(shared_hub, "thread", "show", thread["id"]).out
    assert "Backend v2" in table and "verified on staging" in table and f"poster-{unique}" in table
    assert "Deploy done" in ok(shared_hub, "board", "--channel", channel).out


def test_approvals_list_approve_deny_and_not_ones_own(shared_hub: HubProcess, unique: str) -> None:
    requester = f"asker-{unique}"
    ok(shared_hub, "--agent", requester, "whoami")
    token = (shared_hub.data_dir / "agents" / f"{requester}.token").read_text().strip()
    with shared_hub.client(token) as http:
        first = http.post("/api/approvals", json={"action": f"deploy-{unique}", "details": {"env": "prod"}}).json()
        second = http.post("/api/approvals", json={"action": f"drop-{unique}"}).json()

    pending = {a["id"] for a in ok_json(shared_hub, "approvals", "--status", "pending", "--limit", "1000")}
    assert {first["id"], second["id"]} <= pending
    own = cli(shared_hub, "--agent", requester, "approve", first["id"])
    assert own.code == 1 and len(own.err_lines) == 1

    approved = ok_json(shared_hub, "approve", first["id"][:8], "--reason", "looks safe")
    assert (approved["status"], approved["reason"]) == ("approved", "looks safe")
    denied = ok_json(shared_hub, "--agent", f"lead-{unique}", "deny", second["id"], "--reason", "not on Friday")
    assert denied["status"] == "denied"
    [row] = [
        line for line in ok(shared_hub, "approvals", "--limit", "1000").out.splitlines() if f"deploy-{unique}" in line
    ]
    assert row.lstrip().startswith("✓") and "approved" in row


def test_memory_set_get_ls_history_rm_and_compare_and_set(shared_hub: HubProcess, unique: str) -> None:
    key = f"{unique}/plan/step"
    assert ok_json(shared_hub, "memory", "set", key, "3")["value"] == 3
    assert (
        ok_json(shared_hub, "--agent", f"m-{unique}", "memory", "set", key, "four", "--if-version", "1")["version"] == 2
    )
    assert ok(shared_hub, "memory", "get", key).out == "four\n"
    conflict = cli(shared_hub, "memory", "set", key, "5", "--if-version", "1")
    assert conflict.code == 1 and len(conflict.err_lines) == 1 and conflict.out == ""
    ok(shared_hub, "memory", "set", f"{unique}/plan/owner", '{"name": "alice"}', "--if-version", "0")

    listed = ok_json(shared_hub, "memory", "ls", f"{unique}/plan/")
    assert [(m["key"], m["value"], m["version"]) for m in listed] == [
        (f"{unique}/plan/owner", {"name": "alice"}, 1),
        (key, "four", 2),
    ] or [(m["key"], m["value"], m["version"]) for m in listed] == [
        (key, "four", 2),
        (f"{unique}/plan/owner", {"name": "alice"}, 1),
    ]
    ok(shared_hub, "memory", "rm", key)
    history = ok_json(shared_hub, "memory", "history", key)
    assert [(v["version"], v["change"], v["value"]) for v in history] == [
        (1, "set", 3),
        (2, "set", "four"),
        (3, "deleted", None),
    ]
    missing = cli(shared_hub, "memory", "get", key)
    assert missing.code == 1 and len(missing.err_lines) == 1


def test_audit_tail_filters_by_actor_and_action(shared_hub: HubProcess, unique: str) -> None:
    actor = f"audited-{unique}"
    ok(shared_hub, "--agent", actor, "memory", "set", f"{unique}/a", "1")
    ok(shared_hub, "--agent", actor, "memory", "set", f"{unique}/a", "2")
    ok(shared_hub, "--agent", actor, "send", f"audit-{unique}", "hi")
    entries = ok_json(shared_hub, "audit", "tail", "--actor", actor)
    me = ok_json(shared_hub, "--agent", actor, "whoami")["agent"]["id"]
    assert all(e["actor_id"] == me for e in entries)
    assert [e["action"] for e in entries][-3:] == ["memory.set", "memory.set", "message.published"]
    [last] = ok_json(shared_hub, "audit", "tail", "--actor", actor, "-n", "1")
    assert last == entries[-1]
    assert [e["id"] for e in ok_json(shared_hub, "audit", "tail", "--actor", actor, "--action", "memory.set")] == [
        e["id"] for e in entries if e["action"] == "memory.set"
    ]
    assert "message.published" in ok(shared_hub, "audit", "tail", "--actor", actor).out


def test_hung_lists_agents_holding_work_without_heartbeats(shared_hub: HubProcess, unique: str) -> None:
    holder = f"silent-{unique}"  # a CLI agent has no live connection: holding a lock makes it hung
    ok(shared_hub, "--agent", holder, "lock", f"{unique}/file.py")
    [found] = [h for h in ok_json(shared_hub, "hung") if h["agent"]["name"] == holder]
    assert (found["tasks"], found["locks"], found["agent"]["status"]) == (0, 1, "offline")
    assert holder in ok(shared_hub, "hung").out
    ok(shared_hub, "--agent", holder, "unlock", f"{unique}/file.py")
    assert holder not in {h["agent"]["name"] for h in ok_json(shared_hub, "hung")}


@pytest.mark.parametrize(("decision", "code"), [("approve", 0), ("deny", 3)])
def test_request_approval_blocks_until_decided_and_says_it_by_exit_code(
    shared_hub: HubProcess, unique: str, decision: str, code: int
) -> None:
    action = f"deploy-{unique}-{decision}"
    with Streaming(shared_hub, "--agent", f"ask-{unique}", "request-approval", action, "--details", '{"env": "prod"}',
                   "--json") as asking:  # fmt: skip
        deadline = time.monotonic() + 30
        while not (
            found := [a for a in ok_json(shared_hub, "approvals", "--status", "pending") if a["action"] == action]
        ):
            assert time.monotonic() < deadline, "the request never showed up"
        ok(shared_hub, decision, found[0]["id"], "--reason", "because")
        result = asking.finish()
    assert result.code == code, result.err
    decided = json.loads(result.out)
    assert (decided["id"], decided["details"], decided["reason"]) == (found[0]["id"], {"env": "prod"}, "because")
    assert decided["status"] == {"approve": "approved", "deny": "denied"}[decision]
