"""The SDK against a live hub: the seed-000 example, reconnect and resume, coalesced sends, errors."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from agenthub import AgentClient, Client, Message, NotFound
from tests.hubproc import HubProcess

ROOT = Path(__file__).resolve().parents[2]


def test_seed_000_example_runs_against_a_live_hub(shared_hub: HubProcess, unique: str) -> None:
    async def scenario() -> Message:
        listener = AgentClient(name=f"other-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token)
        await listener.connect()
        received: asyncio.Queue[Message] = asyncio.Queue()
        listener.on_message(received.put)
        env = {**os.environ, "AGENTHUB_URL": shared_hub.url, "AGENTHUB_DATA_DIR": str(shared_hub.data_dir)}
        env.pop("AGENTHUB_TOKEN", None)  # the example must find the token in the data dir by itself
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "examples" / "agent_sdk_usage.py"), f"other-{unique}", env=env
        )
        assert await proc.wait() == 0
        message = await asyncio.wait_for(received.get(), 10)
        await listener.close()
        return message

    message = asyncio.run(scenario())
    assert message.content == "Hello from my agent!"
    with Client(shared_hub.url, token=shared_hub.token) as operator:
        assert message.recipients == [operator.get_agent(f"other-{unique}").id]
        assert operator.get_agent(message.sender_id or "").name == "my_agent"


def test_sdk_reconnects_by_itself_and_resumes_across_a_hub_crash(hub: HubProcess) -> None:
    async def scenario() -> list[str]:
        listener = AgentClient(name="listener", server_url=hub.url, hub_token=hub.token, subscriptions=["news"])
        await listener.connect()
        got: list[str] = []
        done = asyncio.Event()

        @listener.on_message
        def collect(message: Message) -> None:
            got.append(message.content)
            if len(got) == 200:
                done.set()

        with Client.for_agent("newsroom", server_url=hub.url, hub_token=hub.token) as newsroom:
            for i in range(100):
                newsroom.send_message(str(i), channel="news")
            hub.kill()
            hub.start()
            for i in range(100, 200):
                newsroom.send_message(str(i), channel="news")
        await asyncio.wait_for(done.wait(), 30)
        await listener.close()
        return got

    assert asyncio.run(scenario()) == [str(i) for i in range(200)]


def test_concurrent_sends_are_coalesced_into_batched_frames(shared_hub: HubProcess, unique: str) -> None:
    async def scenario() -> tuple[list[int], str]:
        async with AgentClient(name=f"burst-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as agent:
            acks = await asyncio.gather(*(agent.send_message(f"m{i}", channel=f"burst-{unique}") for i in range(500)))
            return [a.seq for a in acks], agent.id

    seqs, agent_id = asyncio.run(scenario())
    assert len(set(seqs)) == 500 and seqs == sorted(seqs)
    with sqlite3.connect(shared_hub.data_dir / "agenthub.db") as db:
        (commits,) = db.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'message.published' AND actor_id = ?", (agent_id,)
        ).fetchone()
    assert commits < 50, f"500 sends went out in {commits} frames"


def test_one_bad_send_in_a_coalesced_batch_fails_alone(shared_hub: HubProcess, unique: str) -> None:
    async def scenario() -> list[object]:
        async with AgentClient(name=f"mixed-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as agent:
            return await asyncio.gather(
                agent.send_message("ok 1", channel=f"mixed-{unique}"),
                agent.send_message("to nobody", recipients=[f"nobody-{unique}"]),
                agent.send_message("ok 2", channel=f"mixed-{unique}"),
                return_exceptions=True,
            )

    first, bad, second = asyncio.run(scenario())
    assert isinstance(bad, NotFound) and bad.code == "agent_not_found"
    assert not isinstance(first, BaseException) and not isinstance(second, BaseException)
    with Client(shared_hub.url, token=shared_hub.token) as operator:
        assert [m.content for m in operator.history(f"mixed-{unique}")] == ["ok 1", "ok 2"]


def test_sync_client_inbox_wait_and_ack(shared_hub: HubProcess, unique: str) -> None:
    with (
        Client.for_agent(f"a-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as alice,
        Client.for_agent(f"b-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as bob,
    ):
        assert bob.inbox(wait=0) == []
        alice.send_message("ping", recipients=[f"b-{unique}"])
        [message] = bob.inbox(wait=5)
        assert message.content == "ping" and message.sender_id == alice.id
        assert bob.ack(message.seq) == message.seq
        assert bob.inbox() == []
        with pytest.raises(NotFound):
            alice.send_message("x", recipients=[f"ghost-{unique}"])
