"""SQLite rows for tasks: the queue, leases, dependencies and assignment history.

Every change reads the task, lets the domain's decision judge it and applies the result inside one write on
the writer thread, so a check and its change can never be separated by another writer: that is what makes a
claim atomic and a stale lease token harmless.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from agenthub._ids import new_ordered_id
from agenthub._time import from_iso, now_iso, parse_iso
from agenthub.errors import InvalidField
from agenthub.models import Assignment, AssignmentStatus, Task, TaskEdge, TaskStatus
from agenthub.models.common import trusted
from agenthub.storage.base import ClaimQuery, Decide, NewTask, OnTask, TaskChange, TaskOutcome, TaskQuery
from agenthub.storage.sqlite_audit import audit
from agenthub.storage.sqlite_engine import SQLiteEngine
from agenthub.storage.sqlite_messages import insert_messages
from agenthub.storage.sqlite_rows import RowsInsert

_COLUMNS = (
    "t.id, t.creator_id, t.title, t.description, t.status, t.priority, t.tags, t.requirements, t.assignee_id,"
    " t.depends_on, t.result, t.error, t.attempts, t.max_attempts, t.lease_expires_at, t.due_date, t.created_at,"
    " t.completed_at, t.updated_at, t.available_at, t.idempotency_key, t.lease_seconds, t.waiting = 0"
)
WITH_TOKEN = _COLUMNS + ", t.lease_token"
PUBLIC = _COLUMNS + ", NULL"
_JSON = {"tags", "requirements", "result"}
_SETTABLE = {
    "title",
    "description",
    "status",
    "priority",
    "tags",
    "requirements",
    "assignee_id",
    "result",
    "error",
    "attempts",
    "max_attempts",
    "lease_token",
    "lease_seconds",
    "lease_expires_at",
    "available_at",
    "due_date",
    "completed_at",
}
_ACTIVE = "('assigned', 'in_progress')"
_OPEN_ASSIGNMENT = "('assigned', 'accepted')"
_FINISHED = "('completed', 'failed', 'cancelled')"
DEPENDENCY_FAILED = "dependency_failed"
_INSERT_DEPS = RowsInsert("INSERT INTO task_deps", "task_id, depends_on")


_STATUSES = {status.value: status for status in TaskStatus}


def task_from_row(row: Sequence[Any]) -> Task:
    return trusted(
        Task,
        {
            "id": row[0],
            "creator_id": row[1],
            "title": row[2],
            "description": row[3],
            "status": _STATUSES[row[4]],
            "priority": row[5],
            "tags": orjson.loads(row[6]),
            "requirements": orjson.loads(row[7]),
            "assignee_id": row[8],
            "depends_on": orjson.loads(row[9]),
            "result": None if row[10] is None else orjson.loads(row[10]),
            "error": row[11],
            "attempts": row[12],
            "max_attempts": row[13],
            "lease_expires_at": from_iso(row[14]),
            "due_date": from_iso(row[15]),
            "created_at": parse_iso(row[16]),
            "completed_at": from_iso(row[17]),
            "updated_at": parse_iso(row[18]),
            "available_at": parse_iso(row[19]),
            "idempotency_key": row[20],
            "lease_seconds": row[21],
            "ready": bool(row[22]),
            "lease_token": row[23],
        },
    )


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _select(conn: sqlite3.Connection, task_id: str) -> Task | None:
    found = _select_to_change(conn, task_id)
    return found[0] if found else None


def _select_to_change(conn: sqlite3.Connection, task_id: str) -> tuple[Task, bool] | None:
    """The task, and whether other tasks depend on it: read in the same statement (one index probe), so that
    a change without dependents skips their update."""
    row = conn.execute(
        f"SELECT {WITH_TOKEN}, EXISTS (SELECT 1 FROM task_deps d WHERE d.depends_on = t.id)"
        " FROM tasks t WHERE t.id = ?",
        (task_id,),
    ).fetchone()
    return (task_from_row(row), bool(row[-1])) if row else None


def _close_assignment(conn: sqlite3.Connection, task_id: str, status: AssignmentStatus, now: str) -> None:
    conn.execute(
        f"UPDATE task_assignments SET status = ?, completed_at = ? WHERE task_id = ? AND status IN {_OPEN_ASSIGNMENT}",
        (status.value, now, task_id),
    )


def _reaches(conn: sqlite3.Connection, starts: Sequence[str], target: str) -> bool:
    """Whether `target` is among the transitive dependencies of `starts`."""
    seen: set[str] = set()
    frontier = list(starts)
    while frontier:
        current = frontier.pop()
        if current == target:
            return True
        if current in seen:
            continue
        seen.add(current)
        frontier.extend(d for (d,) in conn.execute("SELECT depends_on FROM task_deps WHERE task_id = ?", (current,)))
    return False


def _set_deps(conn: sqlite3.Connection, task_id: str, depends_on: Sequence[str]) -> bool:
    """Replace the task's dependencies; True when one of them already failed or was cancelled."""
    deps = list(dict.fromkeys(depends_on))
    if task_id in deps:
        raise InvalidField("a task cannot depend on itself", code="dependency_cycle", details={"task_id": task_id})
    found = dict(conn.execute(f"SELECT id, status FROM tasks WHERE id IN ({_marks(deps)})", deps).fetchall())
    missing = [d for d in deps if d not in found]
    if missing:
        raise InvalidField(
            f"no task has id {missing[0]!r}: a task can depend only on existing tasks",
            code="unknown_dependency",
            details={"missing": missing},
        )
    if _reaches(conn, deps, task_id):
        raise InvalidField(
            "these dependencies would make a cycle: a task cannot (even indirectly) depend on itself",
            code="dependency_cycle",
            details={"task_id": task_id, "depends_on": deps},
        )
    conn.execute("DELETE FROM task_deps WHERE task_id = ?", (task_id,))
    _INSERT_DEPS.run(conn, [(task_id, d) for d in deps])
    waiting = sum(1 for status in found.values() if status != TaskStatus.completed)
    conn.execute("UPDATE tasks SET depends_on = ?, waiting = ? WHERE id = ?", (_dumps(deps), waiting, task_id))
    return any(status in (TaskStatus.failed, TaskStatus.cancelled) for status in found.values())


def _fail(conn: sqlite3.Connection, task: Task, cause: str, actor_id: str | None, now: str, out: TaskOutcome) -> Task:
    """Fail an unfinished task because a dependency failed, then its own dependents."""
    conn.execute(
        "UPDATE tasks SET status = 'failed', error = ?, lease_token = NULL, lease_expires_at = NULL,"
        " completed_at = ?, updated_at = ? WHERE id = ?",
        (DEPENDENCY_FAILED, now, now, task.id),
    )
    _close_assignment(conn, task.id, AssignmentStatus.failed, now)
    audit(conn, actor_id, "task.failed", "task", task.id, {"error": DEPENDENCY_FAILED, "dependency": cause})
    after = _select(conn, task.id)
    assert after is not None
    out.changed.append((after, task.assignee_id))
    _fail_dependents(conn, task.id, actor_id, now, out)
    return after


def _fail_dependents(conn: sqlite3.Connection, task_id: str, actor_id: str | None, now: str, out: TaskOutcome) -> None:
    rows = conn.execute(
        f"SELECT {WITH_TOKEN} FROM task_deps d JOIN tasks t ON t.id = d.task_id"
        f" WHERE d.depends_on = ? AND t.status NOT IN {_FINISHED}",
        (task_id,),
    ).fetchall()
    for row in rows:
        dependent = task_from_row(row)
        current = _select(conn, dependent.id)  # an earlier branch of the cascade may have failed it already
        if current is not None and not current.status.finished:
            _fail(conn, current, task_id, actor_id, now, out)


def _pick(conn: sqlite3.Connection, candidates: Sequence[str], task_id: str) -> str | None:
    """The candidate with the fewest active tasks (ties: the earlier candidate)."""
    if not candidates:
        return None
    counts = dict(
        conn.execute(
            f"SELECT assignee_id, COUNT(*) FROM tasks WHERE assignee_id IN ({_marks(candidates)})"
            f" AND status IN {_ACTIVE} AND id != ? GROUP BY assignee_id",
            (*candidates, task_id),
        ).fetchall()
    )
    order = {agent_id: i for i, agent_id in enumerate(candidates)}
    return min(candidates, key=lambda agent_id: (counts.get(agent_id, 0), order[agent_id]))


_TIMES = {"lease_expires_at", "available_at", "due_date", "completed_at", "updated_at"}


def _updated(before: Task, values: dict[str, Any]) -> Task:
    """The task after `values` were written, without reading it back."""
    update: dict[str, Any] = {key: from_iso(value) if key in _TIMES else value for key, value in values.items()}
    if "status" in values:
        update["status"] = _STATUSES[values["status"]]
    return trusted(Task, {**before.__dict__, **update})


def _apply(
    conn: sqlite3.Connection,
    before: Task,
    change: TaskChange,
    actor_id: str | None,
    out: TaskOutcome,
    *,
    dependents: bool = True,
    claimed_after: str | None = None,
) -> Task:
    """Write `change` to the task `before`, with its assignment history, audit entry and effect on the tasks
    that depend on it (`dependents=False` when the caller knows there are none). A change of lease also notes
    `claimed_after`, the task whose completion came with this claim (`_held_after`)."""
    if not change.action:
        return before
    now = now_iso()
    values = {key: value for key, value in change.set.items() if key != "depends_on"}
    unknown = set(values) - _SETTABLE
    if unknown:
        raise ValueError(f"not a settable task column: {sorted(unknown)}")
    open_assignment = change.open_assignment
    details = dict(change.details)
    if change.pick_assignee is not None:
        chosen = _pick(conn, change.pick_assignee, before.id)
        if chosen is None:
            open_assignment = None
        else:
            values.update(assignee_id=chosen, status=TaskStatus.assigned.value)
            details["assignee_id"] = chosen
    values["updated_at"] = now
    stored = {**values, "claimed_after": claimed_after} if "lease_token" in values else values
    assignments = ", ".join(f"{key} = ?" for key in stored)
    params = [_dumps(v) if key in _JSON else v for key, v in stored.items()]
    conn.execute(f"UPDATE tasks SET {assignments} WHERE id = ?", (*params, before.id))
    if change.close_assignment is not None:
        _close_assignment(conn, before.id, change.close_assignment, now)
    if change.accept_assignment:
        conn.execute(
            "UPDATE task_assignments SET status = 'accepted' WHERE task_id = ? AND status = 'assigned'", (before.id,)
        )
    assignee = values.get("assignee_id", before.assignee_id)
    if open_assignment is not None and assignee is not None:
        conn.execute(
            "INSERT INTO task_assignments (id, task_id, agent_id, status, assigned_at) VALUES (?, ?, ?, ?, ?)",
            (new_ordered_id(), before.id, assignee, open_assignment.value, now),
        )
    dependency_failed = "depends_on" in change.set and _set_deps(conn, before.id, change.set["depends_on"])
    audit(conn, actor_id, change.action, "task", before.id, details)
    after = _select(conn, before.id) if "depends_on" in change.set else _updated(before, values)
    assert after is not None
    if dependency_failed and not after.status.finished:
        return _fail(conn, after, "", actor_id, now, out)
    out.changed.append((after, before.assignee_id))
    if after.status != before.status and dependents:
        if after.status == TaskStatus.completed:
            conn.execute(
                "UPDATE tasks SET waiting = waiting - 1"
                " WHERE id IN (SELECT task_id FROM task_deps WHERE depends_on = ?) AND waiting > 0",
                (before.id,),
            )
        elif after.status in (TaskStatus.failed, TaskStatus.cancelled):
            _fail_dependents(conn, before.id, actor_id, now, out)
    if change.announce is not None and open_assignment is not None and after.assignee_id is not None:
        out.messages += insert_messages(conn, [change.announce(after)], now)
    return after


@functools.lru_cache(maxsize=64)
def _claim_sql(tag_count: int, capability_count: int) -> str:
    """The claim query for this many tags (0: any task) and capabilities, made once per shape."""
    tag_clause = ""
    if tag_count:
        tag_clause = f" AND EXISTS (SELECT 1 FROM json_each(t.tags) g WHERE g.value IN ({_marks(range(tag_count))}))"
    return (
        f"SELECT {WITH_TOKEN} FROM tasks t INDEXED BY tasks_queue"
        f" WHERE t.status = 'pending' AND t.waiting = 0 AND t.available_at <= ?{tag_clause}"
        " AND NOT EXISTS (SELECT 1 FROM json_each(t.requirements, '$.capabilities') c"
        f" WHERE c.value NOT IN ({_marks(range(capability_count))}))"
        " ORDER BY t.priority DESC, t.created_at, t.rowid LIMIT 1"
    )


def _claim(conn: sqlite3.Connection, query: ClaimQuery, out: TaskOutcome, after: str | None = None) -> Task | None:
    """Apply `query.decide` to the task the agent would claim now; None when no task is ready for it. `after`:
    the task whose completion comes with this claim."""
    tags = query.tags or ()
    sql = _claim_sql(len(tags), len(query.capabilities))
    row = conn.execute(sql, (query.now, *tags, *query.capabilities)).fetchone()
    if row is None:
        return None
    task = task_from_row(row)
    return _apply(conn, task, query.decide(task), query.agent_id, out, claimed_after=after)


def _held_after(conn: sqlite3.Connection, task_id: str, agent_id: str) -> Task | None:
    """The task the agent still holds from a claim that came with the completion of `task_id`."""
    row = conn.execute(
        f"SELECT {WITH_TOKEN} FROM tasks t WHERE t.assignee_id = ? AND t.status = 'in_progress'"
        " AND t.claimed_after = ?",
        (agent_id, task_id),
    ).fetchone()
    return task_from_row(row) if row else None


def _skip_none(on_commit: OnTask | None) -> Callable[[TaskOutcome | None], None] | None:
    if on_commit is None:
        return None
    callback = on_commit

    def notify(outcome: TaskOutcome | None) -> None:
        if outcome is not None:
            callback(outcome)

    return notify


class SQLiteTasks:
    _engine: SQLiteEngine

    async def create_task(
        self, new: NewTask, decide: Decide | None, actor_id: str | None, on_commit: OnTask | None = None
    ) -> TaskOutcome:
        def op(conn: sqlite3.Connection) -> TaskOutcome:
            if new.idempotency_key is not None:
                row = conn.execute(
                    f"SELECT {WITH_TOKEN} FROM tasks t WHERE t.idempotency_key = ? AND t.creator_id IS ?"
                    f" AND t.status NOT IN {_FINISHED} ORDER BY t.created_at LIMIT 1",
                    (new.idempotency_key, new.creator_id),
                ).fetchone()
                if row:
                    return TaskOutcome(task=task_from_row(row))
            conn.execute(
                "INSERT INTO tasks (id, creator_id, title, description, priority, tags, requirements, max_attempts,"
                " idempotency_key, due_date, available_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.id,
                    new.creator_id,
                    new.title,
                    new.description,
                    new.priority,
                    _dumps(new.tags),
                    _dumps(new.requirements),
                    new.max_attempts,
                    new.idempotency_key,
                    new.due_date,
                    new.created_at,
                    new.created_at,
                    new.created_at,
                ),
            )
            dependency_failed = bool(new.depends_on) and _set_deps(conn, new.id, new.depends_on)
            audit(conn, actor_id, "task.created", "task", new.id, {"title": new.title, "priority": new.priority})
            out = TaskOutcome(task=None, created=True)
            task = _select(conn, new.id)
            assert task is not None
            if dependency_failed:
                task = _fail(conn, task, "", actor_id, new.created_at, out)
            elif decide is not None:
                task = _apply(conn, task, decide(task), actor_id, out)
            out.task = task
            return out

        return await self._engine.write(op, _skip_none(on_commit), isolated=bool(new.depends_on))

    async def get_task(self, task_id: str) -> Task | None:
        def op(conn: sqlite3.Connection) -> Task | None:
            row = conn.execute(f"SELECT {PUBLIC} FROM tasks t WHERE t.id = ?", (task_id,)).fetchone()
            return task_from_row(row) if row else None

        return await self._engine.read(op)

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        where: list[str] = []
        params: list[Any] = []
        if query.status is not None:
            where.append("t.status = ?")
            params.append(query.status)
        if query.assignee_id is not None:
            where.append("t.assignee_id = ?")
            params.append(query.assignee_id)
        if query.tag is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(t.tags) g WHERE g.value = ?)")
            params.append(query.tag)
        if query.overdue_at is not None:
            where.append(f"t.due_date IS NOT NULL AND t.due_date < ? AND t.status NOT IN {_FINISHED}")
            params.append(query.overdue_at)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        if query.overdue_at is not None:
            order, newest_last = "t.due_date, t.created_at", False
        elif query.queue_order:
            order, newest_last = "t.priority DESC, t.created_at, t.rowid", False
        else:
            order, newest_last = "t.created_at DESC, t.rowid DESC", True
        sql = f"SELECT {PUBLIC} FROM tasks t {clause} ORDER BY {order} LIMIT ?"
        params.append(query.limit)

        def op(conn: sqlite3.Connection) -> list[Task]:
            tasks = [task_from_row(row) for row in conn.execute(sql, params)]
            if newest_last:
                tasks.reverse()
            return tasks

        return await self._engine.read(op)

    async def change_task(
        self,
        task_id: str,
        decide: Decide,
        actor_id: str | None,
        on_commit: OnTask | None = None,
        *,
        then_claim: ClaimQuery | None = None,
    ) -> TaskOutcome | None:
        def op(conn: sqlite3.Connection) -> TaskOutcome | None:
            found = _select_to_change(conn, task_id)
            if found is None:
                return None
            task, dependents = found
            out = TaskOutcome(task=None)
            change = decide(task)
            out.task = _apply(conn, task, change, actor_id, out, dependents=dependents)
            if then_claim is not None:
                # A change that does nothing repeats one already made (a completion whose answer was lost):
                # it answers the task the first attempt claimed, while the agent holds it, not a second one.
                held = None if change.action else _held_after(conn, task_id, then_claim.agent_id)
                out.claimed = held or _claim(conn, then_claim, out, after=task_id)
            return out

        return await self._engine.write(op, _skip_none(on_commit), isolated=True)  # decisions refuse routinely

    async def claim_task(self, query: ClaimQuery, on_commit: OnTask | None = None) -> TaskOutcome | None:
        def op(conn: sqlite3.Connection) -> TaskOutcome | None:
            out = TaskOutcome(task=None)
            out.task = _claim(conn, query, out)
            return None if out.task is None else out

        return await self._engine.write(op, _skip_none(on_commit))

    async def delete_task(
        self, task_id: str, check: Decide, actor_id: str | None, on_commit: OnTask | None = None
    ) -> TaskOutcome | None:
        def op(conn: sqlite3.Connection) -> TaskOutcome | None:
            task = _select(conn, task_id)
            if task is None:
                return None
            change = check(task)
            out = TaskOutcome(task=None)
            now = now_iso()
            _fail_dependents(conn, task_id, actor_id, now, out)
            conn.execute("DELETE FROM task_deps WHERE depends_on = ?", (task_id,))
            conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
            audit(conn, actor_id, change.action, "task", task_id, {"title": task.title, **change.details})
            return out

        return await self._engine.write(op, _skip_none(on_commit), isolated=True)

    async def task_assignments(self, task_id: str) -> list[Assignment]:
        def op(conn: sqlite3.Connection) -> list[Assignment]:
            rows = conn.execute(
                "SELECT id, task_id, agent_id, status, assigned_at, completed_at FROM task_assignments"
                " WHERE task_id = ? ORDER BY assigned_at, rowid",
                (task_id,),
            )
            return [
                Assignment.model_construct(
                    id=r[0],
                    task_id=r[1],
                    agent_id=r[2],
                    status=AssignmentStatus(r[3]),
                    assigned_at=parse_iso(r[4]),
                    completed_at=from_iso(r[5]),
                )
                for r in rows
            ]

        return await self._engine.read(op)

    async def task_graph(self, task_id: str) -> tuple[list[Task], list[TaskEdge]] | None:
        def op(conn: sqlite3.Connection) -> tuple[list[Task], list[TaskEdge]] | None:
            if conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is None:
                return None
            edges: set[tuple[str, str]] = set()
            for sql, forward in (
                ("SELECT task_id, depends_on FROM task_deps WHERE task_id = ?", True),
                ("SELECT task_id, depends_on FROM task_deps WHERE depends_on = ?", False),
            ):
                seen = {task_id}
                frontier = [task_id]
                while frontier:
                    current = frontier.pop()
                    for source, target in conn.execute(sql, (current,)):
                        edges.add((source, target))
                        following = target if forward else source
                        if following not in seen:
                            seen.add(following)
                            frontier.append(following)
            ids = sorted({task_id} | {a for a, _ in edges} | {b for _, b in edges})
            rows = conn.execute(
                f"SELECT {PUBLIC} FROM tasks t WHERE t.id IN ({_marks(ids)}) ORDER BY t.created_at, t.rowid", ids
            ).fetchall()
            return [task_from_row(r) for r in rows], [TaskEdge(task_id=a, depends_on=b) for a, b in sorted(edges)]

        return await self._engine.read(op)

    async def lapsed_leases(self, now: str, limit: int) -> list[str]:
        def op(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT id FROM tasks WHERE status = 'in_progress' AND lease_expires_at <= ?"
                " ORDER BY lease_expires_at LIMIT ?",
                (now, limit),
            )
            return [row[0] for row in rows]

        return await self._engine.read(op)

    async def active_tasks(self) -> list[tuple[str, str]]:
        def op(conn: sqlite3.Connection) -> list[tuple[str, str]]:
            rows = conn.execute(
                f"SELECT id, assignee_id FROM tasks WHERE status IN {_ACTIVE} AND assignee_id IS NOT NULL"
            )
            return [(row[0], row[1]) for row in rows]

        return await self._engine.read(op)
