"""Tasks over HTTP and WebSocket on the shared hub: the queue, leases, retries, dependencies, assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.e2e.taskhelp import Stream, claim, create, poll, task
from tests.hubproc import HubProcess


def test_claim_order_tags_and_no_task(shared_hub: HubProcess, unique: str) -> None:
    creator, creator_token = shared_hub.register(f"boss-{unique}")
    _, worker_token = shared_hub.register(f"worker-{unique}")
    with shared_hub.client(creator_token) as boss, shared_hub.client(worker_token) as worker:
        low = create(boss, title="low", priority=1, tags=[unique])
        first = create(boss, title="urgent-1", priority=5, tags=[unique])
        second = create(boss, title="urgent-2", priority=5, tags=[unique, "other"])
        create(boss, title="elsewhere", priority=5, tags=[f"{unique}-else"])
        assert first["creator_id"] == creator["id"]
        assert first["status"] == "pending" and first["attempts"] == 0 and first["lease_token"] is None

        pending = [t["id"] for t in boss.get("/api/tasks/pending", params={"limit": 1000}).json()]
        assert pending.index(first["id"]) < pending.index(second["id"]) < pending.index(low["id"])

        order = []
        for _ in range(3):
            response = worker.post("/api/tasks/claim", json={"tags": [unique], "lease_seconds": 60})
            assert response.status_code == 200
            order.append(response.json()["id"])
            assert response.json()["status"] == "in_progress"
            assert response.json()["lease_token"]
        assert order == [first["id"], second["id"], low["id"]]
        assert worker.post("/api/tasks/claim", json={"tags": [unique]}).status_code == 204
        assert worker.post("/api/tasks/claim", json={"tags": [f"{unique}-none"]}).status_code == 204

        # The holder's token is never shown to others.
        assert task(boss, first["id"])["lease_token"] is None
        listed = boss.get("/api/tasks", params={"tag": unique, "status": "in_progress"}).json()
        assert {t["id"] for t in listed} == {first["id"], second["id"], low["id"]}
        assert all(t["lease_token"] is None for t in listed)


def test_claim_needs_the_required_capabilities(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    _, plain_token = shared_hub.register(f"plain-{unique}")
    _, gpu_token = shared_hub.register(f"gpu-{unique}", capabilities=["gpu", "py"])
    with shared_hub.client(boss_token) as boss:
        needs_gpu = create(boss, tags=[unique], requirements={"capabilities": ["gpu"]})
    with shared_hub.client(plain_token) as plain:
        assert plain.post("/api/tasks/claim", json={"tags": [unique]}).status_code == 204
    with shared_hub.client(gpu_token) as gpu:
        assert gpu.post("/api/tasks/claim", json={"tags": [unique]}).json()["id"] == needs_gpu["id"]


def test_fenced_lease_complete_is_idempotent(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    worker, worker_token = shared_hub.register(f"worker-{unique}")
    _, other_token = shared_hub.register(f"other-{unique}")
    with (
        shared_hub.client(boss_token) as boss,
        shared_hub.client(worker_token) as http,
        shared_hub.client(other_token) as other,
    ):
        created = create(boss, tags=[unique])
        claimed = http.post("/api/tasks/claim", json={"tags": [unique], "lease_seconds": 30}).json()
        token = claimed["lease_token"]
        path = f"/api/tasks/{created['id']}"

        stale = http.post(f"{path}/heartbeat", json={"lease_token": "not-the-token"})
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "lease_lost"
        assert other.post(f"{path}/complete", json={"result": 1}).status_code == 403
        beat = http.post(f"{path}/heartbeat", json={"lease_token": token, "lease_seconds": 120})
        assert beat.status_code == 200 and beat.json()["lease_token"] == token
        assert beat.json()["lease_expires_at"] > claimed["lease_expires_at"]

        refused = http.post(f"{path}/complete", json={"lease_token": "stale", "result": {"n": 1}})
        assert refused.status_code == 409
        assert task(boss, created["id"])["status"] == "in_progress"

        done = http.post(f"{path}/complete", json={"lease_token": token, "result": {"n": 1}})
        assert done.status_code == 200
        assert done.json()["status"] == "completed" and done.json()["result"] == {"n": 1}
        assert done.json()["assignee_id"] == worker["id"] and done.json()["completed_at"]
        again = http.post(f"{path}/complete", json={"lease_token": token, "result": {"n": 1}})
        assert again.status_code == 200 and again.json() == done.json()
        different = http.post(f"{path}/complete", json={"lease_token": token, "result": {"n": 2}})
        assert different.status_code == 409
        assert task(boss, created["id"])["result"] == {"n": 1}
        assert http.post(f"{path}/heartbeat", json={"lease_token": token}).status_code == 409

        history = boss.get(f"{path}/assignments").json()
        assert [(a["agent_id"], a["status"]) for a in history] == [(worker["id"], "completed")]


def test_claim_completing_the_finished_task_does_both_or_neither(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    worker, worker_token = shared_hub.register(f"worker-{unique}")
    with shared_hub.client(boss_token) as boss, shared_hub.client(worker_token) as http:
        first, second = create(boss, title="first", tags=[unique]), create(boss, title="second", tags=[unique])
        held = claim(http, [unique])
        assert held["id"] == first["id"]

        def hand_in(task_id: str, token: str | None, result: object) -> httpx.Response:
            done = {"task_id": task_id, "lease_token": token, "result": result}
            return http.post("/api/tasks/claim", json={"tags": [unique], "lease_seconds": 60, "complete": done})

        stale = hand_in(first["id"], "stale", {"n": 1})
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "lease_lost"
        assert task(boss, first["id"])["status"] == "in_progress"
        assert task(boss, second["id"])["status"] == "pending"
        missing = hand_in(f"no-such-task-{unique}", None, None)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "task_not_found"
        assert task(boss, second["id"])["status"] == "pending"
        no_id = http.post("/api/tasks/claim", json={"tags": [unique], "complete": {"result": 1}})
        assert no_id.status_code == 422 and no_id.json()["error"]["code"] == "invalid_field"

        nxt = hand_in(first["id"], held["lease_token"], {"n": 1})
        assert nxt.status_code == 200
        assert nxt.json()["id"] == second["id"] and nxt.json()["status"] == "in_progress"
        assert nxt.json()["assignee_id"] == worker["id"] and nxt.json()["lease_token"]
        finished = task(boss, first["id"])
        assert finished["status"] == "completed" and finished["result"] == {"n": 1}
        third = create(boss, title="third", tags=[unique])
        repeat = hand_in(first["id"], held["lease_token"], {"n": 1})  # as if the answer had been lost
        assert repeat.status_code == 200 and repeat.json() == nxt.json()  # the same task, the same lease
        assert task(boss, third["id"])["status"] == "pending"
        assert boss.post(f"/api/tasks/{third['id']}/cancel").json()["status"] == "cancelled"

        last = hand_in(second["id"], nxt.json()["lease_token"], "two")
        assert last.status_code == 204
        assert task(boss, second["id"])["status"] == "completed" and task(boss, second["id"])["result"] == "two"
        again = hand_in(second["id"], nxt.json()["lease_token"], "two")  # a repeated completion is harmless
        assert again.status_code == 204
        assert [a["status"] for a in boss.get(f"/api/tasks/{second['id']}/assignments").json()] == ["completed"]


def test_fail_with_retry_backs_off_then_fails(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    _, worker_token = shared_hub.register(f"worker-{unique}")
    with shared_hub.client(boss_token) as boss, shared_hub.client(worker_token) as http:
        created = create(boss, tags=[unique], max_attempts=2)
        claimed = http.post("/api/tasks/claim", json={"tags": [unique]}).json()
        failed = http.post(
            f"/api/tasks/{created['id']}/fail",
            json={"error": "flaky", "retry": True, "lease_token": claimed["lease_token"]},
        ).json()
        assert failed["status"] == "pending" and failed["attempts"] == 1 and failed["error"] == "flaky"
        assert failed["assignee_id"] is None
        # Backoff: the default base is 1 s with jitter in [0.5, 1]: not claimable right away.
        wait = datetime.fromisoformat(failed["available_at"]) - datetime.fromisoformat(failed["updated_at"])
        assert timedelta(seconds=0.49) <= wait <= timedelta(seconds=1.01)
        assert http.post("/api/tasks/claim", json={"tags": [unique]}).status_code == 204
        again = poll(lambda: claim(http, [unique]), 3.0, "the backoff to end")
        assert again["id"] == created["id"]
        # Out of attempts: a retry fails for good.
        final = http.post(
            f"/api/tasks/{created['id']}/fail",
            json={"error": "flaky again", "retry": True, "lease_token": again["lease_token"]},
        )
        assert final.status_code == 200
        assert final.json()["status"] == "failed" and final.json()["attempts"] == 2


def test_idempotency_key_returns_unfinished_task(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"boss-{unique}")
    with shared_hub.client(token) as http:
        first = create(http, idempotency_key=unique, tags=[unique])
        repeat = http.post("/api/tasks", json={"title": "again", "idempotency_key": unique})
        assert repeat.status_code == 200 and repeat.json()["id"] == first["id"]
        assert http.post(f"/api/tasks/{first['id']}/cancel").json()["status"] == "cancelled"
        fresh = create(http, idempotency_key=unique)
        assert fresh["id"] != first["id"]


def test_dependencies_gate_claims_and_failures_cascade(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    _, worker_token = shared_hub.register(f"worker-{unique}")
    with shared_hub.client(boss_token) as boss, shared_hub.client(worker_token) as http:
        a = create(boss, title="a", tags=[unique], priority=1)
        b = create(boss, title="b", tags=[unique], priority=5, depends_on=[a["id"]])
        c = create(boss, title="c", tags=[unique], priority=5, depends_on=[b["id"]])
        # b and c are more urgent but wait for their dependencies.
        claimed = http.post("/api/tasks/claim", json={"tags": [unique]}).json()
        assert claimed["id"] == a["id"]
        assert http.post("/api/tasks/claim", json={"tags": [unique]}).status_code == 204
        http.post(f"/api/tasks/{a['id']}/complete", json={"lease_token": claimed["lease_token"], "result": "ok"})
        assert http.post("/api/tasks/claim", json={"tags": [unique]}).json()["id"] == b["id"]

        graph = boss.get(f"/api/tasks/{b['id']}/graph").json()
        assert {t["id"] for t in graph["tasks"]} == {a["id"], b["id"], c["id"]}
        assert {(e["task_id"], e["depends_on"]) for e in graph["edges"]} == {(b["id"], a["id"]), (c["id"], b["id"])}

        # A cycle is refused on update, and nothing changes.
        cycle = boss.put(f"/api/tasks/{b['id']}", json={"depends_on": [a["id"], c["id"]]})
        assert cycle.status_code == 422 and cycle.json()["error"]["code"] == "dependency_cycle"
        assert task(boss, b["id"])["depends_on"] == [a["id"]]
        itself = boss.put(f"/api/tasks/{c['id']}", json={"depends_on": [c["id"]]})
        assert itself.status_code == 422 and itself.json()["error"]["code"] == "dependency_cycle"
        finished = boss.put(f"/api/tasks/{a['id']}", json={"depends_on": [c["id"]]})
        assert finished.status_code == 409 and finished.json()["error"]["code"] == "task_finished"
        unknown = boss.post("/api/tasks", json={"title": "x", "depends_on": ["no-such-task"]})
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_dependency"

        # Failing b fails c; a new task on the failed b fails at once.
        http.post(f"/api/tasks/{b['id']}/fail", json={"error": "broken"})
        assert task(boss, b["id"])["status"] == "failed"
        assert task(boss, c["id"])["status"] == "failed"
        assert task(boss, c["id"])["error"] == "dependency_failed"
        late = boss.post("/api/tasks", json={"title": "late", "depends_on": [c["id"]]}).json()
        assert late["status"] == "failed" and late["error"] == "dependency_failed"


def test_cancel_fails_dependents_transitively(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"boss-{unique}")
    _, stranger_token = shared_hub.register(f"stranger-{unique}")
    with shared_hub.client(token) as http, shared_hub.client(stranger_token) as stranger:
        root = create(http, tags=[unique])
        mid = create(http, tags=[unique], depends_on=[root["id"]])
        leaf = create(http, tags=[unique], depends_on=[mid["id"], root["id"]])
        assert stranger.post(f"/api/tasks/{root['id']}/cancel").status_code == 403
        assert http.post(f"/api/tasks/{root['id']}/cancel").json()["status"] == "cancelled"
        for dependent in (mid, leaf):
            after = task(http, dependent["id"])
            assert (after["status"], after["error"]) == ("failed", "dependency_failed")


def test_update_delete_list_and_overdue(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"boss-{unique}")
    _, stranger_token = shared_hub.register(f"stranger-{unique}")
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    with shared_hub.client(token) as http, shared_hub.client(stranger_token) as stranger:
        late = create(http, title=f"late-{unique}", due_date=past)
        on_time = create(http, title=f"on-time-{unique}", due_date=future)
        overdue = {t["id"] for t in http.get("/api/tasks/overdue", params={"limit": 1000}).json()}
        assert late["id"] in overdue and on_time["id"] not in overdue

        changed = http.put(f"/api/tasks/{on_time['id']}", json={"title": "renamed", "priority": 4, "tags": [unique]})
        assert changed.status_code == 200
        assert (changed.json()["title"], changed.json()["priority"], changed.json()["tags"]) == ("renamed", 4, [unique])
        assert stranger.put(f"/api/tasks/{on_time['id']}", json={"title": "mine"}).status_code == 403
        assert http.put(f"/api/tasks/{on_time['id']}", json={"priority": 9}).status_code == 422
        assert http.put(f"/api/tasks/{on_time['id']}", json={"status": "pending"}).status_code == 422
        assert [t["id"] for t in http.get("/api/tasks", params={"tag": unique}).json()] == [on_time["id"]]

        assert http.put(f"/api/tasks/{late['id']}", json={"status": "cancelled"}).json()["status"] == "cancelled"
        assert late["id"] not in {t["id"] for t in http.get("/api/tasks/overdue", params={"limit": 1000}).json()}

        assert stranger.delete(f"/api/tasks/{on_time['id']}").status_code == 403
        assert http.delete(f"/api/tasks/{on_time['id']}").status_code == 204
        assert http.get(f"/api/tasks/{on_time['id']}").status_code == 404
        bad = http.post("/api/tasks", json={"title": ""})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_field"


def test_assignment_reaches_an_offline_agent_on_the_durable_stream(shared_hub: HubProcess, unique: str) -> None:
    boss, boss_token = shared_hub.register(f"boss-{unique}")
    worker, worker_token = shared_hub.register(f"worker-{unique}")
    with shared_hub.client(boss_token) as http:
        created = create(http, title=f"for-{unique}", assign_to=f"worker-{unique}")
        assert created["status"] == "assigned" and created["assignee_id"] == worker["id"]
        stored = http.get(f"/api/messages/task/{created['id']}").json()
        assert stored == []  # a direct entry for the worker, which the creator cannot see
    stream = Stream(shared_hub, worker["id"], worker_token)
    try:
        stream.register()
        frame = stream.wait(lambda f: f["type"] == "task:assigned")
        assert isinstance(frame["seq"], int) and frame["seq"] > 0
        assert frame["data"]["id"] == created["id"] and frame["data"]["assignee_id"] == worker["id"]
        assert frame["data"]["lease_token"] is None

        started = stream.request("task:start", {"task_id": created["id"], "lease_seconds": 60})
        assert started["type"] == "ack" and started["data"]["task"]["status"] == "in_progress"
        token = started["data"]["task"]["lease_token"]
        assert token
        done = stream.request("task:complete", {"task_id": created["id"], "lease_token": token, "result": 42})
        assert done["data"]["task"]["status"] == "completed"
    finally:
        stream.close()
    with shared_hub.client(worker_token) as http:
        entries = http.get(f"/api/messages/task/{created['id']}").json()
        assert [(m["message_type"], m["recipients"]) for m in entries] == [("system", [worker["id"]])]
        history = http.get(f"/api/tasks/{created['id']}/assignments").json()
        assert [a["status"] for a in history] == ["completed"]
        mine = http.get(f"/api/tasks/agent/worker-{unique}").json()
        assert [t["id"] for t in mine] == [created["id"]]
    assert boss["id"] != worker["id"]


def test_websocket_requests_and_task_updated_events(shared_hub: HubProcess, unique: str) -> None:
    boss, boss_token = shared_hub.register(f"boss-{unique}")
    worker, worker_token = shared_hub.register(f"worker-{unique}")
    boss_stream = Stream(shared_hub, boss["id"], boss_token)
    worker_stream = Stream(shared_hub, worker["id"], worker_token)
    try:
        boss_stream.register()
        worker_stream.register()
        created = boss_stream.request("task:create", {"title": "via ws", "tags": [unique]})
        assert created["type"] == "ack" and created["data"]["created"] is True
        task_id = created["data"]["task"]["id"]

        claimed = worker_stream.request("task:claim", {"tags": [unique], "lease_seconds": 60})
        assert claimed["data"]["task"]["id"] == task_id
        event = boss_stream.wait(lambda f: f["type"] == "task:updated" and f["data"]["status"] == "in_progress")
        assert event["data"]["assignee_id"] == worker["id"] and event["data"]["lease_token"] is None

        nothing = worker_stream.request("task:claim", {"tags": [unique]})
        assert nothing["data"] == {"task": None}
        second = boss_stream.request("task:create", {"title": "next via ws", "tags": [unique]})["data"]["task"]
        done = {"task_id": task_id, "lease_token": claimed["data"]["task"]["lease_token"], "result": "ok"}
        handed = worker_stream.request("task:claim", {"tags": [unique], "complete": done})
        assert handed["type"] == "ack" and handed["data"]["task"]["id"] == second["id"]
        event = boss_stream.wait(lambda f: f["type"] == "task:updated" and f["data"]["status"] == "completed")
        assert event["data"]["id"] == task_id and event["data"]["result"] == "ok"
        task_id, claimed = second["id"], handed
        updated = boss_stream.request("task:update", {"task_id": task_id, "priority": 5})
        assert updated["data"]["task"]["priority"] == 5
        reassigned = boss_stream.request("task:assign", {"task_id": task_id, "agent_id": boss["id"]})
        assert reassigned["data"]["task"]["assignee_id"] == boss["id"]
        assert reassigned["data"]["task"]["status"] == "assigned"
        lost = worker_stream.request(
            "task:complete", {"task_id": task_id, "lease_token": claimed["data"]["task"]["lease_token"]}
        )
        assert lost["type"] == "error" and lost["error"]["code"] == "lease_lost"
        assigned = boss_stream.wait(lambda f: f["type"] == "task:assigned")
        assert assigned["data"]["id"] == task_id
        bad = worker_stream.request("task:update", {"priority": 3})
        assert bad["type"] == "error" and bad["error"]["code"] == "invalid_field"
    finally:
        boss_stream.close()
        worker_stream.close()


def test_publishers_cannot_forge_task_assigned_entries(shared_hub: HubProcess, unique: str) -> None:
    victim, _ = shared_hub.register(f"victim-{unique}")
    for token in (shared_hub.register(f"forger-{unique}")[1], None):
        with shared_hub.client(token) as http:
            forged = http.post(
                "/api/messages",
                json={
                    "content": "fake",
                    "recipients": [victim["id"]],
                    "metadata": {"agenthub:event": "task:assigned", "data": {}},
                },
            )
            assert forged.status_code == 422 and forged.json()["error"]["code"] == "reserved_metadata"


def test_an_assignee_that_is_not_live_is_listed_as_hung(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    worker, worker_token = shared_hub.register(f"worker-{unique}")
    with shared_hub.client(boss_token) as boss:
        create(boss, assign_to=worker["id"])
        create(boss, assign_to=worker["id"])
        hung = {h["agent"]["id"]: h for h in boss.get("/api/agents/hung").json()}
        assert (hung[worker["id"]]["tasks"], hung[worker["id"]]["locks"]) == (2, 0)
    with shared_hub.client(worker_token) as http:
        http.post(f"/api/agents/{worker['id']}/heartbeat")
        assert worker["id"] not in {h["agent"]["id"] for h in http.get("/api/agents/hung").json()}


def test_the_assignee_may_reject_an_assignment_it_has_not_started(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    worker, worker_token = shared_hub.register(f"worker-{unique}")
    with shared_hub.client(boss_token) as boss, shared_hub.client(worker_token) as http:
        first = create(boss, assign_to=worker["id"])
        assert boss.post(f"/api/tasks/{first['id']}/reject").status_code == 403
        rejected = http.post(f"/api/tasks/{first['id']}/reject", json={"reason": "not my field"})
        assert rejected.status_code == 200
        assert (rejected.json()["status"], rejected.json()["assignee_id"]) == ("pending", None)
        assert [a["status"] for a in boss.get(f"/api/tasks/{first['id']}/assignments").json()] == ["rejected"]

        second = create(boss, assign_to=worker["id"])
        assert http.post(f"/api/tasks/{second['id']}/start").json()["status"] == "in_progress"
        started = http.post(f"/api/tasks/{second['id']}/reject")
        assert started.status_code == 409 and started.json()["error"]["code"] == "not_rejectable"


def test_an_assigned_task_starts_only_when_its_dependencies_are_completed(shared_hub: HubProcess, unique: str) -> None:
    _, boss_token = shared_hub.register(f"boss-{unique}")
    worker, worker_token = shared_hub.register(f"worker-{unique}")
    with (
        shared_hub.client(boss_token) as boss,
        shared_hub.client(worker_token) as http,
        shared_hub.client() as operator,
    ):
        first = create(boss, tags=[unique])
        then = create(boss, depends_on=[first["id"]], assign_to=worker["id"])
        assert (first["ready"], then["ready"], then["status"]) == (True, False, "assigned")
        blocked = http.post(f"/api/tasks/{then['id']}/start")
        assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "dependencies_pending"
        assert http.post(f"/api/tasks/{then['id']}/complete", json={"result": 1}).status_code == 409
        operator.post(f"/api/tasks/{first['id']}/complete", json={"result": "done"})
        assert task(boss, then["id"])["ready"] is True
        assert http.post(f"/api/tasks/{then['id']}/start").json()["status"] == "in_progress"
