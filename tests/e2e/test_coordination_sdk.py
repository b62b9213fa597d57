"""The SDK's coordination methods against a real hub: memory with CAS and watches, lock_file renewing and
releasing (also on exceptions), threads, request_approval blocking until a second party decides, log_decision."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agenthub.client import AgentClient, Client
from agenthub.errors import Conflict
from agenthub.models import MemoryEvent
from tests.hubproc import HubProcess


async def _until(check: object, timeout: float = 15.0) -> None:
    """Poll the hub (another process) until `check()` is truthy, with a deadline."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_async_memory_watch_and_cas(shared_hub: HubProcess, unique: str) -> None:
    async with (
        AgentClient(f"sdk-mem-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as agent,
        AgentClient(f"sdk-mem2-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as other,
    ):
        key = f"{unique}/research_results"
        events: asyncio.Queue[MemoryEvent] = asyncio.Queue()

        @agent.on_memory
        async def seen(event: MemoryEvent) -> None:
            await events.put(event)

        assert await agent.watch_memory(f"{unique}/") == []
        stored = await other.set_memory(key=key, value={"findings": "..."})
        assert (stored.version, (await agent.get_memory(key)).value) == (1, {"findings": "..."})
        with pytest.raises(Conflict) as refused:
            await agent.set_memory(key, "stale", if_version=0)
        assert refused.value.details["current_version"] == 1
        assert refused.value.details["current"]["value"] == {"findings": "..."}  # no need to read it again
        assert (await agent.set_memory(key, "fresh", if_version=1)).version == 2
        first, second = await asyncio.wait_for(events.get(), 10), await asyncio.wait_for(events.get(), 10)
        assert [(e.version, e.memory.value if e.memory else None) for e in (first, second)] == [
            (1, {"findings": "..."}),
            (2, "fresh"),
        ]
        assert [v.version for v in await agent.memory_history(key)] == [1, 2]


async def test_async_lock_file_renews_and_releases_on_exception(shared_hub: HubProcess, unique: str) -> None:
    async with (
        AgentClient(f"sdk-lock-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as agent,
        AgentClient(f"sdk-lock2-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as other,
    ):
        path = f"{unique}/backend/main.py"
        with pytest.raises(RuntimeError, match="boom"):
            async with agent.lock_file(path, intent="Add /health endpoint", ttl_seconds=0.6) as lock:
                assert lock.intent == "Add /health endpoint"

                async def renewed_twice() -> bool:
                    [live] = [item for item in await other.list_locks() if item.id == lock.id]
                    return (live.expires_at - lock.expires_at).total_seconds() > 0.3

                await _until(renewed_twice)  # held past its 0.6 s ttl: renewal keeps it
                with pytest.raises(Conflict):
                    await other.acquire_lock(path)
                raise RuntimeError("boom")
        assert lock.id not in [item.id for item in await other.list_locks()]
        taken = await other.acquire_lock(path, wait_seconds=5)
        await other.release_lock(taken.id)


async def test_async_request_approval_blocks_until_decided(shared_hub: HubProcess, unique: str) -> None:
    async with (
        AgentClient(f"sdk-ask-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as asker,
        AgentClient(f"sdk-ok-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as reviewer,
    ):
        waiting = asyncio.create_task(asker.request_approval("drop table", {"table": "users"}, timeout=60))

        async def pending() -> bool:
            return any(a.requester_id == asker.id for a in await reviewer.list_approvals("pending", 1000))

        await _until(pending)
        assert not waiting.done()
        [request] = [a for a in await reviewer.list_approvals("pending", 1000) if a.requester_id == asker.id]
        await reviewer.deny(request.id, "no")
        decided = await asyncio.wait_for(waiting, 30)
        assert (decided.status, decided.reason, decided.decided_by) == ("denied", "no", reviewer.id)


def test_sync_client_board_locks_approvals_and_decisions(shared_hub: HubProcess, unique: str) -> None:
    with (
        Client.for_agent(f"sync-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as coord,
        Client(shared_hub.url, token=shared_hub.token) as operator,
    ):
        with coord.lock_file(f"{unique}/x.py", intent="edit", ttl_seconds=30) as lock:
            assert [item.id for item in coord.list_locks(f"{unique}/*")] == [lock.id]
        assert coord.list_locks(f"{unique}/*") == []
        thread = coord.post_thread("Deployment Complete", "Backend v2.0 deployed", priority="high")
        coord.reply(thread.id, "verified")
        assert [r.content for r in coord.get_thread(thread.id).replies or []] == ["verified"]
        entry = coord.log_decision(decision_type="deployment", context="Backend v2.0", reason="tested")
        assert entry.action == "decision.logged"
        assert coord.set_memory(f"{unique}/k", 1, if_version=0).version == 1

        result: list[str] = []
        asking = threading.Thread(
            target=lambda: result.append(str(coord.request_approval("restart", timeout=60).status))
        )
        asking.start()
        deadline = time.monotonic() + 15
        mine: list[str] = []
        while not mine:
            assert time.monotonic() < deadline
            mine = [a.id for a in operator.list_approvals("pending", 1000) if a.requester_id == coord.id]
            time.sleep(0.05)  # polling the hub (another process) with a deadline
        operator.approve(mine[0], "go")
        asking.join(30)
        assert result == ["approved"]


def test_seed_003_example_runs_against_a_live_hub(shared_hub: HubProcess, unique: str) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "AGENTHUB_URL": shared_hub.url, "AGENTHUB_DATA_DIR": str(shared_hub.data_dir)}
    env.pop("AGENTHUB_TOKEN", None)  # the example must find the token in the data dir by itself
    name = f"Agent-{unique}"
    done = subprocess.run(
        [sys.executable, str(root / "examples" / "coordination.py"), name],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    thread_id = done.stdout.split()[-1]
    with Client(shared_hub.url, token=shared_hub.token) as operator:
        agent = operator.get_agent(name)
        thread = operator.get_thread(thread_id)
        assert (thread.author_id, thread.priority, thread.reply_count) == (agent.id, "high", 1)
        assert operator.get_memory("deploy/backend").updated_by == agent.id
        actions = [e.action for e in operator.audit_log(actor_id=agent.id, limit=1000)]
        assert actions[:2] == ["lock.acquired", "lock.released"]
        assert actions[-1] == "decision.logged"


async def test_sdk_watch_is_renewed_after_the_hub_restarts(hub: HubProcess) -> None:
    async with AgentClient("sdk-rewatch", server_url=hub.url, hub_token=hub.token) as agent:
        events: asyncio.Queue[MemoryEvent] = asyncio.Queue()
        agent.on_memory(events.put)
        await agent.watch_memory("plan/")
        await agent.set_memory("plan/a", 1)
        assert (await asyncio.wait_for(events.get(), 10)).version == 1
        await asyncio.to_thread(hub.restart)
        with Client(hub.url, token=hub.token) as operator:
            deadline = time.monotonic() + 30
            while True:  # write until the reconnected client has re-watched and hears of it
                operator.set_memory("plan/a", "after")
                try:
                    event = await asyncio.wait_for(events.get(), 0.5)
                    break
                except TimeoutError:
                    assert time.monotonic() < deadline, "the watch was not renewed after the reconnect"
        assert event.key == "plan/a"
        assert event.memory is not None
        assert event.memory.value == "after"
