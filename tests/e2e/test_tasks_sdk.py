"""The SDK's task operations against a live hub: assignment handlers, the worker loop, the sync session."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agenthub import AgentClient, Client, Conflict
from agenthub.models import Task, TaskStatus
from tests.hubproc import HubProcess

ROOT = Path(__file__).resolve().parents[2]


def test_task_example_of_seed_000_runs(hub: HubProcess) -> None:
    env = {**os.environ, "AGENTHUB_URL": hub.url, "AGENTHUB_DATA_DIR": str(hub.data_dir)}
    env.pop("AGENTHUB_TOKEN", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "agent_tasks.py")], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "Process data: completed -> {'summary': 'analysed: Analyze the dataset'}"


def test_on_task_assigned_gets_tasks_assigned_while_offline(shared_hub: HubProcess, unique: str) -> None:
    async def scenario() -> Task:
        boss = AgentClient(name=f"boss-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token)
        await boss.register()
        worker = AgentClient(name=f"worker-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token)
        await worker.register()  # known to the hub, but not connected
        created = await boss.create_task(f"offline-{unique}", assign_to=f"worker-{unique}", priority=4)
        got: asyncio.Queue[Task] = asyncio.Queue()

        @worker.on_task_assigned
        async def handle(task: Task) -> None:
            started = await worker.start_task(task.id, lease_seconds=30)
            assert started.lease_token is not None
            await worker.complete_task(task.id, {"echo": task.title})
            await got.put(task)

        await worker.connect()
        assigned = await asyncio.wait_for(got.get(), 10)
        assert assigned.id == created.id and assigned.status == TaskStatus.assigned
        finished = await boss.get_task(created.id)
        await worker.close()
        await boss.close()
        return finished

    finished = asyncio.run(scenario())
    assert finished.status == TaskStatus.completed and finished.result == {"echo": f"offline-{unique}"}


def test_run_worker_completes_fails_and_heartbeats(shared_hub: HubProcess, unique: str) -> None:
    async def scenario() -> tuple[int, list[Task]]:
        boss = AgentClient(name=f"boss-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token)
        await boss.register()
        for i in range(12):
            await boss.create_task(f"job-{i}", tags=[unique], max_attempts=1)
        slow = await boss.create_task("slow", tags=[unique], priority=5)
        await boss.create_task("broken", tags=[unique], max_attempts=1)
        worker = AgentClient(name=f"worker-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token)
        await worker.register()

        async def handle(task: Task) -> dict[str, str]:
            if task.title == "broken":
                raise ValueError("cannot do this one")
            if task.title == "slow":
                await asyncio.sleep(3.0)  # longer than the lease: only heartbeats keep it
            return {"done": task.title}

        handled = await worker.run_worker(handle, tags=[unique], concurrency=3, lease_seconds=1.2, stop_when_idle=True)
        tasks = await boss.list_tasks(tag=unique)
        assert (await boss.get_task(slow.id)).attempts == 0
        await worker.close()
        await boss.close()
        return handled, tasks

    handled, tasks = asyncio.run(scenario())
    assert handled == 14
    by_title = {t.title: t for t in tasks}
    assert by_title["slow"].status == TaskStatus.completed and by_title["slow"].result == {"done": "slow"}
    assert all(by_title[f"job-{i}"].status == TaskStatus.completed for i in range(12))
    assert by_title["broken"].status == TaskStatus.failed
    assert by_title["broken"].error == "ValueError: cannot do this one"


def test_sync_session_claims_and_releases(shared_hub: HubProcess, unique: str) -> None:
    with Client(shared_hub.url, token=shared_hub.token) as operator:
        first = operator.create_task("first", tags=[unique], priority=5)
        second = operator.create_task("second", tags=[unique])
        with Client.session(f"coord-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as coord:
            task = coord.claim_task(tags=[unique])
            assert task is not None and task.id == first.id
            assert coord.heartbeat_task(task.id, lease_seconds=60).lease_token == task.lease_token
            held = coord.complete_and_claim(task.id, "ok", tags=[unique])
            assert held is not None and held.id == second.id and held.lease_token
            assert operator.get_task(first.id).result == "ok"
            assert coord.claim_task(tags=[unique]) is None
            with pytest.raises(Conflict) as refused:
                coord.complete_task(first.id, "different")
            assert refused.value.code == "task_finished"
        released = operator.get_task(second.id)
        assert released.status == TaskStatus.pending and released.attempts == 1
        assert operator.get_agent(f"coord-{unique}").status.value == "offline"
        graph = operator.task_graph(first.id)
        assert [t.id for t in graph.tasks] == [first.id]
        assert [a.status.value for a in operator.task_assignments(second.id)] == ["failed"]


def test_sync_run_worker_drains_with_threads_and_fails_what_raises(shared_hub: HubProcess, unique: str) -> None:
    tag = f"sync-{unique}"
    with Client.for_agent(f"sync-boss-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as boss:
        created = [boss.create_task(f"job {i}", tags=[tag], max_attempts=1) for i in range(12)]
    seen: list[str] = []

    def handler(task: Task) -> dict[str, str]:
        seen.append(task.id)
        if task.title == "job 3":
            raise ValueError("job 3 breaks")
        return {"done": task.title}

    with Client.for_agent(f"sync-worker-{unique}", server_url=shared_hub.url, hub_token=shared_hub.token) as worker:
        handled = worker.run_worker(handler, tags=[tag], concurrency=3, stop_when_idle=True)
        final = {task.id: worker.get_task(task.id) for task in created}
    assert handled == 12
    assert sorted(seen) == sorted(task.id for task in created)  # each claimed once
    statuses = {final[t.id].title: final[t.id].status for t in created}
    assert statuses.pop("job 3") == TaskStatus.failed
    assert set(statuses.values()) == {TaskStatus.completed}
    assert final[created[0].id].result == {"done": "job 0"}
