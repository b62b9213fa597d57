"""Tasks under real concurrency: worker processes draining a queue, a frozen worker, a hub killed mid-queue."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.taskhelp import claim, create, poll, task
from tests.hubproc import HubProcess

SPAWN = multiprocessing.get_context("spawn")


def _create_many(hub: HubProcess, token: str, count: int, tag: str, threads: int = 8) -> list[str]:
    def make(part: range) -> list[str]:
        with hub.client(token) as http:
            return [str(create(http, title=f"job {i}", priority=1 + i % 5, tags=[tag])["id"]) for i in part]

    with ThreadPoolExecutor(threads) as pool:
        parts = pool.map(make, [range(i, count, threads) for i in range(threads)])
    return [task_id for part in parts for task_id in part]


def drain(url: str, token: str, tag: str, lease_seconds: float) -> list[str]:
    """A worker process: claim and complete until the queue is empty; survives the hub going away.

    Returns the ids of the tasks whose completion the hub acknowledged to this worker."""
    done: list[str] = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        while True:
            try:
                response = http.post("/api/tasks/claim", json={"tags": [tag], "lease_seconds": lease_seconds})
            except httpx.TransportError:
                time.sleep(0.05)  # the hub is restarting: retry
                continue
            if response.status_code == 204:
                try:
                    busy = http.get("/api/tasks", params={"status": "in_progress", "tag": tag, "limit": 1}).json()
                except httpx.TransportError:
                    continue
                if not busy:
                    return done
                time.sleep(0.05)  # leases lost in a crash come back when they lapse
                continue
            if response.status_code != 200:
                continue  # e.g. 5xx while the hub is going down
            claimed = response.json()
            body = {"lease_token": claimed["lease_token"], "result": {"by": token[-8:], "task": claimed["id"]}}
            while True:  # the same token and result may be sent again: completing is idempotent
                try:
                    answer = http.post(f"/api/tasks/{claimed['id']}/complete", json=body)
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                if answer.status_code == 200:
                    done.append(claimed["id"])
                    break
                if answer.status_code in (404, 409):
                    break  # the lease lapsed while the hub was down: someone else does it
                time.sleep(0.05)


def _audited(data_dir: Path, action: str) -> Counter[str]:
    with sqlite3.connect(data_dir / "agenthub.db") as db:
        rows = db.execute("SELECT subject_id FROM audit_log WHERE action = ?", (action,)).fetchall()
    return Counter(row[0] for row in rows)


@pytest.mark.timeout(400)  # thousands of durable writes: generous on a busy 2-core machine
def test_workers_drain_thousands_of_tasks_each_exactly_once(hub: HubProcess) -> None:
    _, boss_token = hub.register("boss")
    tokens = [hub.register(f"worker-{i}")[1] for i in range(4)]
    ids = _create_many(hub, boss_token, 2000, "drain")
    with SPAWN.Pool(len(tokens)) as pool:
        results = pool.starmap(drain, [(hub.url, token, "drain", 60.0) for token in tokens])
    completed = [task_id for worker in results for task_id in worker]
    assert len(completed) == 2000
    assert set(completed) == set(ids)
    assert all(len(worker) > 0 for worker in results)  # every worker got a share
    with hub.client() as http:
        assert http.get("/api/tasks/pending").json() == []
        sample = task(http, ids[0])
        assert sample["status"] == "completed" and sample["result"]["task"] == ids[0]
    hub.stop()
    audit = _audited(hub.data_dir, "task.completed")
    assert set(audit) == set(ids) and set(audit.values()) == {1}


def sdk_worker(url: str, hub_token: str, name: str, tag: str) -> int:
    """A worker process on the SDK's own loop: four slots, each handing its result in with its next claim."""
    from agenthub import Client

    with Client.for_agent(name, server_url=url, hub_token=hub_token) as worker:
        return worker.run_worker(lambda task: {"task": task.id}, tags=[tag], concurrency=4, stop_when_idle=True)


@pytest.mark.timeout(400)
def test_sdk_workers_completing_with_their_next_claim_hold_each_task_once(hub: HubProcess) -> None:
    _, boss_token = hub.register("boss")
    ids = _create_many(hub, boss_token, 1500, "handoff")
    with SPAWN.Pool(4) as pool:
        handled = pool.starmap(sdk_worker, [(hub.url, hub.token, f"sdk-worker-{i}", "handoff") for i in range(4)])
    assert sum(handled) == 1500 and all(handled)
    with hub.client() as http:
        assert http.get("/api/tasks/pending").json() == []
        sample = task(http, ids[-1])
        assert sample["status"] == "completed" and sample["result"] == {"task": ids[-1]}
    hub.stop()
    for action in ("task.claimed", "task.completed"):
        audit = _audited(hub.data_dir, action)
        assert set(audit) == set(ids) and set(audit.values()) == {1}, action


def frozen_worker(url: str, token: str, tag: str, claimed: Any, finish: Event, outcome: Any) -> None:
    """Claims a task with a short lease and heartbeats it until told to finish, then completes it."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        got = http.post("/api/tasks/claim", json={"tags": [tag], "lease_seconds": 1.0}).json()
        claimed.put((got["id"], got["lease_token"]))
        path = f"/api/tasks/{got['id']}"
        beats = []
        while not finish.wait(0.2):  # the worker's heartbeat cadence
            beats.append(http.post(f"{path}/heartbeat", json={"lease_token": got["lease_token"]}).status_code)
        beats.append(http.post(f"{path}/heartbeat", json={"lease_token": got["lease_token"]}).status_code)
        done = http.post(f"{path}/complete", json={"lease_token": got["lease_token"], "result": "late"})
        outcome.put((beats[-1], done.status_code, done.json()["error"]["code"]))


def test_worker_stopped_past_its_lease_cannot_complete(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub", env={"AGENTHUB_REAPER_INTERVAL": "0.2"}).start()
    try:
        _, boss_token = hub.register("boss")
        _, frozen_token = hub.register("frozen")
        other, other_token = hub.register("other")
        with hub.client(boss_token) as boss:
            created = create(boss, tags=["sigstop"])
        claimed, outcome, finish = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
        worker = SPAWN.Process(target=frozen_worker, args=(hub.url, frozen_token, "sigstop", claimed, finish, outcome))
        worker.start()
        task_id, _ = claimed.get(timeout=30)
        assert task_id == created["id"]
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            with hub.client(other_token) as http:
                retaken = poll(lambda: claim(http, ["sigstop"], lease_seconds=30), 10.0, "the lapsed lease")
                assert retaken["id"] == task_id and retaken["attempts"] == 1
                done = http.post(
                    f"/api/tasks/{task_id}/complete", json={"lease_token": retaken["lease_token"], "result": "mine"}
                )
                assert done.status_code == 200
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        finish.set()
        heartbeat, completion, code = outcome.get(timeout=30)
        worker.join(30)
        assert (heartbeat, completion, code) == (409, 409, "lease_lost")
        with hub.client() as http:
            after = task(http, task_id)
            assert (after["status"], after["result"], after["assignee_id"]) == ("completed", "mine", other["id"])
            history = http.get(f"/api/tasks/{task_id}/assignments").json()
            assert [a["status"] for a in history] == ["expired", "completed"]
    finally:
        hub.stop()


@pytest.mark.timeout(400)  # thousands of durable writes: generous on a busy 2-core machine
def test_hub_killed_mid_queue_loses_and_repeats_nothing(hub: HubProcess) -> None:
    _, boss_token = hub.register("boss")
    tokens = [hub.register(f"worker-{i}")[1] for i in range(3)]
    ids = _create_many(hub, boss_token, 600, "crash")
    with SPAWN.Pool(len(tokens)) as pool:
        running = pool.starmap_async(drain, [(hub.url, token, "crash", 2.0) for token in tokens])
        with hub.client() as http:

            def some_done() -> bool:
                return len(http.get("/api/tasks", params={"status": "completed", "limit": 1000}).json()) >= 150

            poll(some_done, 60.0, "workers to get going")
        hub.kill()
        hub.start()
        results = running.get(timeout=120)
    completed = [task_id for worker in results for task_id in worker]
    assert sorted(completed) == sorted(ids)  # every task once, none twice
    with hub.client() as http:
        assert http.get("/api/tasks/pending").json() == []
        assert http.get("/api/tasks", params={"status": "in_progress"}).json() == []
    hub.stop()
    audit = _audited(hub.data_dir, "task.completed")
    assert set(audit) == set(ids) and set(audit.values()) == {1}
