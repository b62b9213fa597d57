"""The reaper and the assignment engine, on hubs of their own with short intervals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.taskhelp import Stream, claim, create, poll, task
from tests.hubproc import HubProcess

REAPER = 0.2
GRACE = 1.0


@pytest.fixture(scope="module")
def quick_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    env = {"AGENTHUB_REAPER_INTERVAL": str(REAPER), "AGENTHUB_ASSIGNMENT_GRACE_SECONDS": str(GRACE)}
    hub = HubProcess(tmp_path_factory.mktemp("quick-hub"), env=env).start()
    yield hub
    hub.stop()


def test_lapsed_lease_returns_to_pending_within_lease_plus_interval(quick_hub: HubProcess, unique: str) -> None:
    _, boss_token = quick_hub.register(f"boss-{unique}")
    _, worker_token = quick_hub.register(f"worker-{unique}")
    with quick_hub.client(boss_token) as boss, quick_hub.client(worker_token) as http:
        created = create(boss, tags=[unique], max_attempts=2)
        lease = 1.0
        claimed = claim(http, [unique], lease_seconds=lease)
        assert claimed is not None
        started = time.monotonic()
        back = poll(lambda: (t := task(boss, created["id"]))["status"] == "pending" and t, 10.0, "the reaper")
        waited = time.monotonic() - started
        assert lease - 0.1 <= waited <= lease + REAPER + 1.5
        assert back["attempts"] == 1 and back["assignee_id"] is None and back["lease_expires_at"] is None

        # The second lapse uses up max_attempts: the task fails.
        again = claim(http, [unique], lease_seconds=0.5)
        assert again is not None and again["id"] == created["id"]
        failed = poll(lambda: (t := task(boss, created["id"]))["status"] == "failed" and t, 10.0, "the reaper")
        assert failed["attempts"] == 2 and failed["error"] == "lease_expired"
        history = boss.get(f"/api/tasks/{created['id']}/assignments").json()
        assert [a["status"] for a in history] == ["expired", "expired"]
        stale = http.post(
            f"/api/tasks/{created['id']}/complete", json={"lease_token": again["lease_token"], "result": 1}
        )
        assert stale.status_code == 409


def test_heartbeat_keeps_the_lease(quick_hub: HubProcess, unique: str) -> None:
    _, token = quick_hub.register(f"worker-{unique}")
    with quick_hub.client(token) as http:
        created = create(http, tags=[unique])
        claimed = claim(http, [unique], lease_seconds=1.2)
        assert claimed is not None
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:  # two and a half lease lengths, kept alive by heartbeats
            beat = http.post(f"/api/tasks/{created['id']}/heartbeat", json={"lease_token": claimed["lease_token"]})
            assert beat.status_code == 200 and beat.json()["lease_seconds"] == 1.2
            time.sleep(0.2)  # the worker's heartbeat cadence
        assert task(http, created["id"])["status"] == "in_progress"


def test_auto_assignment_picks_capable_online_agent_with_fewest_tasks(quick_hub: HubProcess, unique: str) -> None:
    _, boss_token = quick_hub.register(f"boss-{unique}")
    a, a_token = quick_hub.register(f"a-{unique}", capabilities=["gpu", "py"])
    b, b_token = quick_hub.register(f"b-{unique}", capabilities=["gpu"])
    c, c_token = quick_hub.register(f"c-{unique}", capabilities=["py"])
    _, off_token = quick_hub.register(f"off-{unique}", capabilities=["gpu"])  # never online
    streams = [Stream(quick_hub, agent["id"], token) for agent, token in ((a, a_token), (b, b_token), (c, c_token))]
    try:
        for stream in streams:
            stream.register()
        with quick_hub.client(boss_token) as boss:
            gpu = {"capabilities": ["gpu"]}
            first = create(boss, title="g1", assign_to="auto", requirements=gpu)
            second = create(boss, title="g2", assign_to="auto", requirements=gpu)
            third = create(boss, title="g3", assign_to="auto", requirements=gpu)
            assert first["assignee_id"] == a["id"]  # tie: by name
            assert second["assignee_id"] == b["id"]  # a has one task, b none
            assert third["assignee_id"] == a["id"]
            frame = streams[1].wait(lambda f: f["type"] == "task:assigned")
            assert frame["data"]["id"] == second["id"]

            nobody = create(boss, title="tpu", assign_to="auto", requirements={"capabilities": ["tpu"]})
            assert nobody["status"] == "pending" and nobody["assignee_id"] is None
            refused = boss.post(f"/api/tasks/{nobody['id']}/assign", json={"agent_id": "auto"})
            assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_capable_agent"
            by_name = boss.post(f"/api/tasks/{nobody['id']}/assign", json={"agent_id": f"c-{unique}"})
            assert by_name.json()["assignee_id"] == c["id"] and by_name.json()["status"] == "assigned"
            assert boss.post("/api/tasks", json={"title": "x", "assign_to": "nobody-at-all"}).status_code == 404
    finally:
        for stream in streams:
            stream.close()
    assert off_token


def test_tasks_of_an_agent_offline_past_the_grace_period_are_redistributed(quick_hub: HubProcess, unique: str) -> None:
    _, boss_token = quick_hub.register(f"boss-{unique}")
    a, a_token = quick_hub.register(f"a-{unique}", capabilities=["etl"])
    b, b_token = quick_hub.register(f"b-{unique}", capabilities=["etl"])
    _, c_token = quick_hub.register(f"c-{unique}")
    first = Stream(quick_hub, a["id"], a_token)
    first.register()
    with quick_hub.client(boss_token) as boss, quick_hub.client(c_token) as c_http:
        waiting = create(boss, title="unstarted", assign_to="auto", requirements={"capabilities": ["etl"]})
        assert waiting["assignee_id"] == a["id"]
        # a also works on a claimed task; c (no capabilities needed) claims one as well and stays online.
        create(boss, title="claimed", tags=[unique])
        held = first.request("task:claim", {"tags": [unique], "lease_seconds": 300})["data"]["task"]
        assert held["assignee_id"] == a["id"]
        second = Stream(quick_hub, b["id"], b_token)
        try:
            second.register()
            first.close()
            gone = time.monotonic()
            moved = second.wait(lambda f: f["type"] == "task:assigned", timeout=GRACE + REAPER + 5)
            assert time.monotonic() - gone >= GRACE - 0.1
            assert moved["data"]["id"] == waiting["id"] and moved["data"]["assignee_id"] == b["id"]
            back = poll(lambda: (t := task(boss, held["id"]))["status"] == "pending" and t, 5.0, "redistribution")
            assert back["attempts"] == 1 and back["assignee_id"] is None
            history = boss.get(f"/api/tasks/{waiting['id']}/assignments").json()
            assert [(h["agent_id"], h["status"]) for h in history] == [(a["id"], "expired"), (b["id"], "assigned")]
            assert claim(c_http, [unique]) is not None
        finally:
            second.close()


def test_reaper_interval_is_a_setting(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub", env={"AGENTHUB_REAPER_INTERVAL": "0"})
    with pytest.raises(RuntimeError, match="reaper_interval"):
        hub.start()
