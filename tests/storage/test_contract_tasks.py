"""The task behaviour every storage backend must have, spoken only through the `Storage` protocol."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from agenthub._time import now_iso
from agenthub.errors import Conflict, InvalidField
from agenthub.models import AssignmentStatus, Task, TaskStatus
from agenthub.storage import ClaimQuery, NewMessage, NewTask, Storage, TaskChange, TaskOutcome, TaskQuery
from tests.storage.conftest import Backend

_ids = itertools.count()


def new_task(title: str = "job", **fields: Any) -> NewTask:
    values: dict[str, Any] = {
        "id": f"task-{next(_ids)}",
        "creator_id": "boss",
        "title": title,
        "description": "",
        "priority": 2,
        "tags": [],
        "requirements": {},
        "depends_on": [],
        "max_attempts": 3,
        "due_date": None,
        "idempotency_key": None,
        "created_at": now_iso(),
    }
    return NewTask(**(values | fields))


async def create(storage: Storage, title: str = "job", **fields: Any) -> Task:
    outcome = await storage.create_task(new_task(title, **fields), None, "boss")
    assert outcome.task is not None
    return outcome.task


def take(agent_id: str, token: str) -> Any:
    def decide(task: Task) -> TaskChange:
        return TaskChange(
            action="task.claimed",
            set={"status": "in_progress", "assignee_id": agent_id, "lease_token": token, "lease_expires_at": now_iso()},
            open_assignment=AssignmentStatus.accepted,
        )

    return decide


def finish(result: Any) -> Any:
    def decide(task: Task) -> TaskChange:
        return TaskChange(
            action="task.completed",
            set={"status": "completed", "result": result, "completed_at": now_iso()},
            close_assignment=AssignmentStatus.completed,
        )

    return decide


def fail(task: Task) -> TaskChange:
    return TaskChange(action="task.failed", set={"status": "failed", "error": "boom"})


async def test_claim_order_tags_capabilities_and_availability(storage: Storage) -> None:
    low = await create(storage, "low", priority=1, tags=["a"])
    old = await create(storage, "old", priority=4, tags=["a"])
    new = await create(storage, "new", priority=4, tags=["b"])
    gpu = await create(storage, "gpu", priority=5, tags=["a"], requirements={"capabilities": ["gpu"]})
    now = now_iso()

    async def claim(*query: Any) -> TaskOutcome | None:
        return await storage.claim_task(ClaimQuery(*query))

    first = await claim("w", [], ["a", "b"], now, take("w", "t1"))
    assert first is not None and first.task is not None and first.task.id == old.id
    assert first.task.lease_token == "t1" and first.task.status == TaskStatus.in_progress
    second = await claim("w", [], ["b"], now, take("w", "t2"))
    assert second is not None and second.task is not None and second.task.id == new.id
    with_gpu = await claim("g", ["gpu"], None, now, take("g", "t3"))
    assert with_gpu is not None and with_gpu.task is not None and with_gpu.task.id == gpu.id
    last = await claim("w", [], None, now, take("w", "t4"))
    assert last is not None and last.task is not None and last.task.id == low.id
    assert await claim("w", ["gpu"], None, now, take("w", "t5")) is None
    later = await create(storage, "later")
    await storage.change_task(
        later.id, lambda t: TaskChange("task.retrying", set={"available_at": "9999-01-01T00:00:00.000000Z"}), None
    )
    assert await claim("w", [], None, now, take("w", "t6")) is None


async def test_a_change_then_a_claim_happen_in_one_write_or_not_at_all(storage: Storage) -> None:
    first, second = await create(storage, "first"), await create(storage, "second")
    held = await storage.claim_task(ClaimQuery("w", [], None, now_iso(), take("w", "t1")))
    assert held is not None and held.task is not None and held.task.id == first.id
    seen: list[TaskOutcome] = []
    then = ClaimQuery("w", [], None, now_iso(), take("w", "t2"))
    both = await storage.change_task(first.id, finish({"n": 1}), "w", seen.append, then_claim=then)
    assert both is not None and both.task is not None and both.task.status == TaskStatus.completed
    assert both.claimed is not None and both.claimed.id == second.id and both.claimed.lease_token == "t2"
    assert [(task.id, task.status) for task, _ in seen[0].changed] == [
        (first.id, TaskStatus.completed),
        (second.id, TaskStatus.in_progress),
    ]

    def refuse(task: Task) -> TaskChange:
        raise Conflict("stale lease", code="lease_lost")

    third = await create(storage, "third")
    with pytest.raises(Conflict):
        await storage.change_task(
            second.id, refuse, "w", then_claim=ClaimQuery("w", [], None, now_iso(), take("w", "t3"))
        )
    assert (await storage.get_task(third.id)).status == TaskStatus.pending  # type: ignore[union-attr]
    last = await storage.change_task(
        second.id, finish(None), "w", then_claim=ClaimQuery("w", ["gpu"], ["none"], now_iso(), take("w", "t4"))
    )
    assert last is not None and last.task is not None and last.task.status == TaskStatus.completed
    assert last.claimed is None


async def test_a_repeated_change_finds_the_task_its_claim_took(storage: Storage) -> None:
    """A worker whose answer was lost sends its completion and claim again: it gets the task that claim took,
    with its lease, and no second task is claimed; once it no longer holds that task, it claims anew."""
    first, second, third = [await create(storage, title) for title in ("first", "second", "third")]
    await storage.claim_task(ClaimQuery("w", [], None, now_iso(), take("w", "t1")))

    def finish_or_repeat(task: Task) -> TaskChange:
        return TaskChange(action="") if task.status == TaskStatus.completed else finish({"n": 1})(task)

    def hand_in(task_id: str, token: str) -> Any:
        then = ClaimQuery("w", [], None, now_iso(), take("w", token))
        return storage.change_task(task_id, finish_or_repeat, "w", then_claim=then)

    sent = await hand_in(first.id, "t2")
    assert sent is not None and sent.claimed is not None
    assert (sent.claimed.id, sent.claimed.lease_token) == (second.id, "t2")
    again = await hand_in(first.id, "t3")
    assert again is not None and again.claimed is not None
    assert (again.claimed.id, again.claimed.lease_token) == (second.id, "t2")
    assert again.changed == []  # nothing written
    assert (await storage.get_task(third.id)).status == TaskStatus.pending  # type: ignore[union-attr]
    await storage.change_task(second.id, finish({"n": 2}), "w")  # the worker no longer holds it
    anew = await hand_in(first.id, "t4")
    assert anew is not None and anew.claimed is not None
    assert (anew.claimed.id, anew.claimed.lease_token) == (third.id, "t4")


async def test_concurrent_claims_hand_each_task_to_one_claimer(storage: Storage) -> None:
    ids = {(await create(storage, f"t{i}")).id for i in range(30)}
    outcomes = await asyncio.gather(
        *(storage.claim_task(ClaimQuery(f"w{i}", [], None, now_iso(), take(f"w{i}", f"k{i}"))) for i in range(40))
    )
    claimed = [o.task.id for o in outcomes if o is not None and o.task is not None]
    assert sorted(claimed) == sorted(ids)


async def test_a_refused_decision_changes_and_audits_nothing(backend: Backend) -> None:
    storage = backend.storage
    task = await create(storage)
    before = await backend.audit()

    def refuse(current: Task) -> TaskChange:
        raise Conflict("no", code="lease_lost")

    with pytest.raises(Conflict):
        await storage.change_task(task.id, refuse, "w")
    assert await storage.get_task(task.id) == task
    assert await backend.audit() == before
    assert await storage.change_task("no-such-task", refuse, "w") is None


async def test_lifecycle_assignments_audit_and_tokens_kept_private(backend: Backend) -> None:
    storage = backend.storage
    task = await create(storage)
    await storage.claim_task(ClaimQuery("w", [], None, now_iso(), take("w", "secret")))
    done = await storage.change_task(task.id, finish({"n": 1}), "w")
    assert done is not None and done.task is not None and done.task.result == {"n": 1}
    assert [(t.id, before) for t, before in done.changed] == [(task.id, "w")]
    stored = await storage.get_task(task.id)
    assert stored is not None and stored.status == TaskStatus.completed and stored.lease_token is None
    assert [t.lease_token for t in await storage.list_tasks(TaskQuery())] == [None]
    history = await storage.task_assignments(task.id)
    assert [(a.agent_id, a.status) for a in history] == [("w", AssignmentStatus.completed)]
    trail = [(e.action, e.actor_id) for e in await backend.audit() if e.subject_id == task.id]
    assert trail == [("task.created", "boss"), ("task.claimed", "w"), ("task.completed", "w")]


async def test_dependencies_gate_claims_refuse_cycles_and_cascade_failures(storage: Storage) -> None:
    a = await create(storage, "a", priority=1)
    b = await create(storage, "b", priority=5, depends_on=[a.id])
    c = await create(storage, "c", priority=5, depends_on=[b.id])
    with pytest.raises(InvalidField) as unknown:
        await create(storage, "x", depends_on=["missing"])
    assert unknown.value.code == "unknown_dependency"
    with pytest.raises(InvalidField) as cycle:
        await storage.change_task(a.id, lambda t: TaskChange("task.updated", set={"depends_on": [c.id]}), "boss")
    assert cycle.value.code == "dependency_cycle"
    claimed = await storage.claim_task(ClaimQuery("w", [], None, now_iso(), take("w", "t")))
    assert claimed is not None and claimed.task is not None and claimed.task.id == a.id
    await storage.change_task(a.id, finish(None), "w")
    ready = await storage.claim_task(ClaimQuery("w", [], None, now_iso(), take("w", "t2")))
    assert ready is not None and ready.task is not None and ready.task.id == b.id
    failed = await storage.change_task(b.id, fail, "w")
    assert failed is not None
    assert [(t.id, t.status, t.error) for t, _ in failed.changed] == [
        (b.id, TaskStatus.failed, "boom"),
        (c.id, TaskStatus.failed, "dependency_failed"),
    ]
    graph = await storage.task_graph(c.id)
    assert graph is not None
    assert {t.id for t in graph[0]} == {a.id, b.id, c.id}
    assert {(e.task_id, e.depends_on) for e in graph[1]} == {(b.id, a.id), (c.id, b.id)}
    late = await create(storage, "late", depends_on=[c.id])
    assert (late.status, late.error) == (TaskStatus.failed, "dependency_failed")


async def test_delete_fails_dependents(backend: Backend) -> None:
    storage = backend.storage
    root = await create(storage)
    child = await create(storage, depends_on=[root.id])
    deleted = await storage.delete_task(root.id, lambda t: TaskChange("task.deleted"), "boss")
    assert deleted is not None and deleted.task is None
    assert await storage.get_task(root.id) is None
    after = await storage.get_task(child.id)
    assert after is not None and after.error == "dependency_failed"
    assert "task.deleted" in [e.action for e in await backend.audit() if e.subject_id == root.id]


async def test_idempotency_key_returns_the_unfinished_task(storage: Storage) -> None:
    first = await storage.create_task(new_task(idempotency_key="k"), None, "boss")
    again = await storage.create_task(new_task(idempotency_key="k"), None, "boss")
    assert first.created and not again.created
    assert first.task is not None and again.task is not None and again.task.id == first.task.id
    other_creator = await storage.create_task(new_task(idempotency_key="k", creator_id="someone"), None, "x")
    assert other_creator.created


async def test_pick_assignee_prefers_fewest_active_and_stores_the_announcement(storage: Storage) -> None:
    busy = await create(storage)
    await storage.change_task(busy.id, take("a", "t"), None)

    def announce(task: Task) -> NewMessage:
        assert task.assignee_id is not None
        return NewMessage(
            id=f"m-{task.id}", sender_id=None, content="assigned", created_at=now_iso(), recipients=[task.assignee_id]
        )

    def auto(task: Task) -> TaskChange:
        return TaskChange(
            "task.assigned", open_assignment=AssignmentStatus.assigned, pick_assignee=["a", "b"], announce=announce
        )

    outcome: TaskOutcome = await storage.create_task(new_task(), auto, "boss")
    assert outcome.task is not None and outcome.task.assignee_id == "b"
    assert outcome.task.status == TaskStatus.assigned
    assert [m.recipients for m in outcome.messages] == [["b"]] and outcome.messages[0].seq > 0
    assert sorted(await storage.active_tasks()) == sorted([(busy.id, "a"), (outcome.task.id, "b")])


async def test_lapsed_leases_and_queries(storage: Storage) -> None:
    held = await create(storage, tags=["x"], due_date="2000-01-01T00:00:00.000000Z")
    await storage.claim_task(ClaimQuery("w", [], None, now_iso(), take("w", "t")))
    assert await storage.lapsed_leases(now_iso(), 10) == [held.id]
    assert await storage.lapsed_leases("2000-01-01T00:00:00.000000Z", 10) == []
    assert [t.id for t in await storage.list_tasks(TaskQuery(tag="x", assignee_id="w"))] == [held.id]
    assert [t.id for t in await storage.list_tasks(TaskQuery(overdue_at=now_iso()))] == [held.id]
    assert await storage.list_tasks(TaskQuery(status="pending")) == []
