"""The installed `agenthub` CLI against a live hub: identity, chat (seed 002), inbox, errors, watch."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from tests.e2e.clihelp import Streaming, cli, ok, ok_json
from tests.hubproc import HubProcess, free_port


def test_help_names_every_global_option_and_its_environment_variable() -> None:
    text = " ".join(ok(None, "--help").out.split())
    for option, env in [
        ("--hub", "AGENTHUB_URL"),
        ("--token", "AGENTHUB_TOKEN"),
        ("--agent", "AGENTHUB_AGENT"),
        ("--data-dir", "AGENTHUB_DATA_DIR"),
    ]:
        assert f"{option} " in text and f"[env var: {env}]" in text
    for command in ["send", "read", "watch", "inbox", "channels", "agents", "status", "serve"]:
        assert f" {command} " in text


def test_agent_token_is_cached_0600_reused_and_replaced_when_refused(shared_hub: HubProcess, unique: str) -> None:
    name = f"cache-{unique}"
    first = ok_json(shared_hub, "--agent", name, "whoami")
    assert first["operator"] is False and first["agent"]["name"] == name and first["agent"]["type"] == "cli"
    path = shared_hub.data_dir / "agents" / f"{name}.token"
    token = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and token.startswith("agt")

    again = ok_json(shared_hub, "whoami", AGENTHUB_AGENT=name)  # the environment variable works the same
    assert again["agent"]["id"] == first["agent"]["id"]
    assert path.read_text().strip() == token  # reused, not registered again

    path.write_text("agt_not_a_token_the_hub_knows\n")
    replaced = ok_json(shared_hub, "--agent", name, "whoami")
    assert replaced["agent"]["id"] == first["agent"]["id"]  # same agent, fresh token
    assert path.read_text().strip() not in (token, "agt_not_a_token_the_hub_knows")

    operator = ok_json(shared_hub, "whoami")
    assert operator == {"operator": True, "agent": None, "hub": shared_hub.url}


def test_registering_through_the_cli_keeps_an_existing_agents_type_and_capabilities(
    shared_hub: HubProcess, unique: str
) -> None:
    agent, _ = shared_hub.register(f"llm-{unique}", type="llm", capabilities=["python"], metadata={"team": "a"})
    me = ok_json(shared_hub, "--agent", f"llm-{unique}", "whoami")["agent"]
    assert (me["id"], me["type"], me["capabilities"], me["metadata"]) == (agent["id"], "llm", ["python"], {"team": "a"})


def test_send_and_read_a_channel(shared_hub: HubProcess, unique: str) -> None:
    channel = f"general-{unique}"
    first = ok_json(shared_hub, "send", channel, "hello", "world")
    assert set(first) == {"id", "seq", "duplicate"} and first["duplicate"] is False
    ok(shared_hub, "--agent", f"alice-{unique}", "send", channel, "hi from alice")
    ok(shared_hub, "send", channel, "-", stdin="from stdin\nsecond line\n")
    alice = ok_json(shared_hub, "--agent", f"alice-{unique}", "whoami")["agent"]

    messages = ok_json(shared_hub, "read", channel)
    assert [(m["content"], m["sender_id"], m["channel"]) for m in messages] == [
        ("hello world", None, channel),
        ("hi from alice", alice["id"], channel),
        ("from stdin\nsecond line", None, channel),
    ]
    assert messages[0]["seq"] == first["seq"] and messages[0]["id"] == first["id"]
    seqs = [m["seq"] for m in messages]
    assert [m["seq"] for m in ok_json(shared_hub, "read", channel, "--since", str(seqs[0]))] == seqs[1:]
    assert [m["seq"] for m in ok_json(shared_hub, "read", channel, "--limit", "1")] == seqs[2:]

    table = ok(shared_hub, "read", channel).out
    assert "hello world" in table and f"alice-{unique}" in table and "operator" in table and f"#{channel}" in table
    assert ok(shared_hub, "read", f"empty-{unique}").out.strip() == f"no messages in #empty-{unique}"


def test_direct_messages_show_receipts_sent_delivered_read(shared_hub: HubProcess, unique: str) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    alice_id = ok_json(shared_hub, "--agent", alice, "whoami")["agent"]["id"]
    sent = ok_json(shared_hub, "--agent", bob, "send", "--to", alice, "please", "review")

    [mine] = [m for m in ok_json(shared_hub, "--agent", bob, "read") if m["id"] == sent["id"]]
    assert mine["recipients"] == [alice_id]
    assert mine["receipts"] == [{"agent_id": alice_id, "delivered_at": None, "read_at": None}]
    assert "·" in ok(shared_hub, "--agent", bob, "read").out

    [got] = ok_json(shared_hub, "--agent", alice, "inbox")  # printing marks it read and acknowledges it
    assert got["content"] == "please review" and got["receipts"][0]["read_at"] is not None

    [after] = [m for m in ok_json(shared_hub, "--agent", bob, "read") if m["id"] == sent["id"]]
    assert after["receipts"][0]["delivered_at"] is not None and after["receipts"][0]["read_at"] is not None
    [row] = [line for line in ok(shared_hub, "--agent", bob, "read").out.splitlines() if "please review" in line]
    assert "✓✓" in row


def test_inbox_prints_acknowledges_and_says_by_exit_code_whether_anything_came(
    shared_hub: HubProcess, unique: str
) -> None:
    me = f"waiter-{unique}"
    ok(shared_hub, "--agent", me, "subscribe", f"team-{unique}")
    nothing = cli(shared_hub, "--agent", me, "inbox", "--json")
    assert (nothing.code, nothing.json(), nothing.err) == (3, [], "")
    assert cli(shared_hub, "--agent", me, "inbox").out.strip() == "no new messages"

    ok(shared_hub, "send", f"team-{unique}", "one")
    ok(shared_hub, "send", "--to", me, "two")
    assert [m["content"] for m in ok_json(shared_hub, "--agent", me, "inbox", "--peek")] == ["one", "two"]
    assert [m["content"] for m in ok_json(shared_hub, "--agent", me, "inbox", "--limit", "1")] == ["one"]
    table = ok(shared_hub, "--agent", me, "inbox").out
    assert "two" in table and "one" not in table
    assert cli(shared_hub, "--agent", me, "inbox").code == 3  # all acknowledged

    started = time.monotonic()
    timed_out = cli(shared_hub, "--agent", me, "inbox", "--wait", "1")
    assert timed_out.code == 3 and time.monotonic() - started >= 1
    assert timed_out.out.strip() == "no new messages within 1 s"


def test_inbox_wait_returns_as_soon_as_a_message_arrives(shared_hub: HubProcess, unique: str) -> None:
    me = f"sleeper-{unique}"
    ok(shared_hub, "--agent", me, "whoami")
    started = time.monotonic()
    with Streaming(shared_hub, "--agent", me, "inbox", "--wait", "120", "--json") as waiting:
        ok(shared_hub, "send", "--to", me, "wake up")
        result = waiting.finish(timeout=60)
    assert result.code == 0, result.err
    assert [m["content"] for m in json.loads(result.out)] == ["wake up"]
    assert time.monotonic() - started < 60


def test_inbox_needs_an_agent(shared_hub: HubProcess) -> None:
    result = cli(shared_hub, "inbox")
    assert result.code == 1 and result.out == ""
    assert result.err_lines == ["agenthub: this command needs an agent: pass --agent NAME or set AGENTHUB_AGENT"]


def test_channels_agents_and_status(shared_hub: HubProcess, unique: str) -> None:
    channel = f"count-{unique}"
    ok(shared_hub, "--agent", f"sub-{unique}", "subscribe", channel)
    ok(shared_hub, "send", channel, "a")
    ok(shared_hub, "send", channel, "b")
    [found] = [c for c in ok_json(shared_hub, "channels") if c["name"] == channel]
    assert (found["message_count"], found["subscribers"]) == (2, 1)
    assert channel in ok(shared_hub, "channels").out

    [agent] = [a for a in ok_json(shared_hub, "agents") if a["name"] == f"sub-{unique}"]
    assert set(agent) == {
        "id",
        "name",
        "type",
        "status",
        "capabilities",
        "metadata",
        "parent_id",
        "created_at",
        "last_seen",
    }
    assert agent["type"] == "cli" and agent["status"] == "offline"
    assert f"sub-{unique}" not in {a["name"] for a in ok_json(shared_hub, "agents", "--online")}

    status = ok_json(shared_hub, "status")
    assert status["status"] == "ok" and status["last_seq"] >= found["last_seq"] and status["agents"] >= 1
    assert "last seq" in ok(shared_hub, "status").out


@pytest.mark.parametrize(
    "args",
    [
        ["send"],
        ["send", "just-a-channel"],
        ["send", "general", "-"],  # an empty message from stdin
        ["read", "--limit", "zero"],
        ["read", "--limit", "0"],
        ["inbox", "--wait", "-1"],
        ["watch", "Not A Channel!"],
        ["no-such-command"],
        ["--no-such-option"],
        ["--agent", "../etc/x", "status"],
        ["task", "claim", "--lease", "soon"],
        ["memory", "set", "only-a-key"],
        ["lock"],
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_no_traceback(shared_hub: HubProcess, args: list[str]) -> None:
    result = cli(shared_hub, *args, stdin="")
    assert result.code == 2, result
    assert len(result.err_lines) == 1 and result.err.startswith("agenthub: ") and "--help" in result.err
    assert "Traceback" not in result.err and result.out == ""


def test_a_hub_error_is_one_line_with_exit_1(shared_hub: HubProcess, unique: str) -> None:
    result = cli(shared_hub, "send", "--to", f"ghost-{unique}", "hello?")
    assert result.code == 1 and result.out == ""
    assert len(result.err_lines) == 1 and result.err.startswith("agenthub: ") and f"ghost-{unique}" in result.err

    refused = cli(shared_hub, "status", AGENTHUB_TOKEN="not-the-hub-token")
    assert refused.code == 1 and len(refused.err_lines) == 1 and "--token" in refused.err


def test_an_unreachable_hub_is_one_clear_line(tmp_path: object) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["status"], ["send", "general", "hi"], ["--agent", "x", "inbox", "--wait", "5"], ["watch", "x"]):
        result = cli(None, *args, AGENTHUB_URL=url, AGENTHUB_TOKEN="whatever", AGENTHUB_DATA_DIR=str(tmp_path))
        assert result.code == 1 and result.out == ""
        assert result.err_lines == [
            f"agenthub: cannot reach the hub at {url}: is `agenthub serve` running? (or pass --hub URL)"
        ]


@pytest.mark.parametrize("as_agent", [True, False], ids=["agent", "operator"])
def test_watch_prints_each_message_once_across_a_hub_restart(hub: HubProcess, as_agent: bool) -> None:
    who = ["--agent", "watcher"] if as_agent else []
    if as_agent:
        ok(hub, *who, "subscribe", "news")
    ok(hub, "send", "elsewhere", "not this channel")
    with Streaming(hub, *who, "watch", "news", "--since", "0", "--count", "6", "--json") as watcher:
        for i in range(3):
            ok(hub, "send", "news", f"n{i}")
        first = watcher.read(3)
        hub.restart()
        for i in range(3, 6):
            ok(hub, "send", "news", f"n{i}")
        result = watcher.finish()
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in [*first, *result.out.splitlines()]]
    assert [m["content"] for m in lines] == [f"n{i}" for i in range(6)]
    assert [m["seq"] for m in lines] == sorted({m["seq"] for m in lines})


def test_watch_prints_people_lines_live(shared_hub: HubProcess, unique: str) -> None:
    start = ok_json(shared_hub, "status")["last_seq"]
    with Streaming(shared_hub, "watch", f"live-{unique}/*", "--since", str(start), "--count", "2") as watcher:
        ok(shared_hub, "--agent", f"poster-{unique}", "send", f"live-{unique}/a", "first")
        ok(shared_hub, "send", f"other-{unique}", "skipped")
        ok(shared_hub, "send", f"live-{unique}/b", "second", "--title", "T")
        lines = watcher.read(2)
        assert watcher.finish().code == 0
    assert lines[0].endswith(f"#live-{unique}/a poster-{unique}: first")
    assert lines[1].endswith(f"#live-{unique}/b operator: [T] second")


def test_export_writes_a_channels_whole_history_as_json_lines(
    shared_hub: HubProcess, unique: str, tmp_path: Path
) -> None:
    channel = f"archive-{unique}"
    for i in range(3):
        ok(shared_hub, "send", channel, f"m{i}")
    expected = ok_json(shared_hub, "read", channel)
    streamed = [json.loads(line) for line in ok(shared_hub, "export", channel).out.splitlines()]
    assert streamed == expected and [m["content"] for m in streamed] == ["m0", "m1", "m2"]

    target = tmp_path / "archive.jsonl"
    result = ok(shared_hub, "export", channel, "--since", str(expected[0]["seq"]), "-o", str(target))
    assert result.out.strip() == f"exported 2 messages of #{channel} to {target}"
    assert [json.loads(line) for line in target.read_text().splitlines()] == expected[1:]
