"""The SDK's sans-IO task calls, shared by `AgentClient` and `Client`.

A client remembers the lease token of every task it claimed or started (`LeaseBook`), so `complete`,
`fail` and `heartbeat` present it without the caller passing it around; the book is kept by the calls'
parsers, so both clients get it from this one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from agenthub.client._core import Call, path_part
from agenthub.models import Assignment, Task, TaskCreate, TaskGraph, TaskStatus, TaskUpdate

_TASKS = TypeAdapter(list[Task])
_ASSIGNMENTS = TypeAdapter(list[Assignment])


def _task(_: int, body: Any) -> Task:
    return Task.model_validate(body)


def _tasks(_: int, body: Any) -> list[Task]:
    return _TASKS.validate_python(body)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


@dataclass
class LeaseBook:
    """The lease tokens this client holds, by task id."""

    tokens: dict[str, str] = field(default_factory=dict)

    def keep(self, task: Task) -> Task:
        if task.lease_token:
            self.tokens[task.id] = task.lease_token
        return task

    def token(self, task_id: str, given: str | None = None) -> str | None:
        return given if given is not None else self.tokens.get(task_id)

    def drop(self, task_id: str) -> None:
        self.tokens.pop(task_id, None)


class TaskCalls:
    """Every task operation as a `Call`; the lease book is kept by the parsers."""

    def __init__(self, book: LeaseBook | None = None) -> None:
        self.book = book or LeaseBook()

    def create(
        self,
        title: str,
        *,
        description: str = "",
        priority: int = 2,
        tags: list[str] | None = None,
        requirements: dict[str, Any] | None = None,
        depends_on: list[str] | None = None,
        assign_to: str | None = None,
        due_date: datetime | None = None,
        max_attempts: int = 3,
        idempotency_key: str | None = None,
    ) -> Call[Task]:
        body = TaskCreate(
            title=title,
            description=description,
            priority=priority,
            tags=tags or [],
            requirements=requirements or {},
            depends_on=depends_on or [],
            assign_to=assign_to,
            due_date=due_date,
            max_attempts=max_attempts,
            idempotency_key=idempotency_key,
        )
        return Call("POST", "/api/tasks", _task, json=body.model_dump(mode="json", exclude_defaults=True))

    def get(self, task_id: str) -> Call[Task]:
        return Call("GET", f"/api/tasks/{path_part(task_id)}", _task)

    def query(
        self,
        status: TaskStatus | str | None = None,
        assignee_id: str | None = None,
        tag: str | None = None,
        limit: int = 50,
    ) -> Call[list[Task]]:
        params = _clean({"status": None if status is None else str(status), "assignee_id": assignee_id, "tag": tag})
        return Call("GET", "/api/tasks", _tasks, params=params | {"limit": limit})

    def pending(self, limit: int = 50) -> Call[list[Task]]:
        return Call("GET", "/api/tasks/pending", _tasks, params={"limit": limit})

    def overdue(self, limit: int = 50) -> Call[list[Task]]:
        return Call("GET", "/api/tasks/overdue", _tasks, params={"limit": limit})

    def of_agent(self, agent: str, status: TaskStatus | str | None = None, limit: int = 50) -> Call[list[Task]]:
        params = _clean({"status": None if status is None else str(status)}) | {"limit": limit}
        return Call("GET", f"/api/tasks/agent/{path_part(agent)}", _tasks, params=params)

    def update(self, task_id: str, **fields: Any) -> Call[Task]:
        body = TaskUpdate.model_validate(fields).model_dump(mode="json", exclude_unset=True)
        return Call("PUT", f"/api/tasks/{path_part(task_id)}", _task, json=body)

    def delete(self, task_id: str) -> Call[None]:
        def parse(_: int, __: Any) -> None:
            self.book.drop(task_id)

        return Call("DELETE", f"/api/tasks/{path_part(task_id)}", parse)

    def assign(self, task_id: str, agent: str) -> Call[Task]:
        return Call("POST", f"/api/tasks/{path_part(task_id)}/assign", _task, json={"agent_id": agent})

    def cancel(self, task_id: str) -> Call[Task]:
        return Call("POST", f"/api/tasks/{path_part(task_id)}/cancel", self._finished(task_id))

    def reject(self, task_id: str, reason: str | None = None) -> Call[Task]:
        return Call("POST", f"/api/tasks/{path_part(task_id)}/reject", _task, json=_clean({"reason": reason}))

    def claim(self, tags: list[str] | None = None, lease_seconds: float | None = None) -> Call[Task | None]:
        """The claimed task (its lease kept in the book), or None when no task is ready (204)."""

        def parse(status: int, body: Any) -> Task | None:
            return None if status == 204 or body is None else self.book.keep(Task.model_validate(body))

        return Call("POST", "/api/tasks/claim", parse, json=_clean({"tags": tags, "lease_seconds": lease_seconds}))

    def complete_and_claim(
        self, task_id: str, result: Any = None, tags: list[str] | None = None, lease_seconds: float | None = None
    ) -> Call[Task | None]:
        """Complete `task_id` and claim the next ready task in one request: the claimed task (its lease kept in
        the book), or None when no task is ready; a refused completion claims nothing."""
        done = _clean({"task_id": task_id, "lease_token": self.book.token(task_id)}) | {"result": result}

        def parse(status: int, body: Any) -> Task | None:
            self.book.drop(task_id)
            return None if status == 204 or body is None else self.book.keep(Task.model_validate(body))

        body = _clean({"tags": tags, "lease_seconds": lease_seconds}) | {"complete": done}
        return Call("POST", "/api/tasks/claim", parse, json=body)

    def start(self, task_id: str, lease_seconds: float | None = None) -> Call[Task]:
        body = _clean({"lease_token": self.book.token(task_id), "lease_seconds": lease_seconds})
        return Call("POST", f"/api/tasks/{path_part(task_id)}/start", self._keep, json=body)

    def heartbeat(self, task_id: str, lease_seconds: float | None = None, lease_token: str | None = None) -> Call[Task]:
        body = _clean({"lease_token": self.book.token(task_id, lease_token), "lease_seconds": lease_seconds})
        return Call("POST", f"/api/tasks/{path_part(task_id)}/heartbeat", self._keep, json=body)

    def complete(self, task_id: str, result: Any = None, lease_token: str | None = None) -> Call[Task]:
        body = _clean({"lease_token": self.book.token(task_id, lease_token)}) | {"result": result}
        return Call("POST", f"/api/tasks/{path_part(task_id)}/complete", self._finished(task_id), json=body)

    def fail(self, task_id: str, error: str, retry: bool = False, lease_token: str | None = None) -> Call[Task]:
        body = _clean({"lease_token": self.book.token(task_id, lease_token)}) | {"error": error, "retry": retry}
        return Call("POST", f"/api/tasks/{path_part(task_id)}/fail", self._finished(task_id), json=body)

    def assignments(self, task_id: str) -> Call[list[Assignment]]:
        return Call("GET", f"/api/tasks/{path_part(task_id)}/assignments", lambda _, b: _ASSIGNMENTS.validate_python(b))

    def graph(self, task_id: str) -> Call[TaskGraph]:
        return Call("GET", f"/api/tasks/{path_part(task_id)}/graph", lambda _, b: TaskGraph.model_validate(b))

    def _keep(self, _: int, body: Any) -> Task:
        return self.book.keep(Task.model_validate(body))

    def _finished(self, task_id: str) -> Callable[[int, Any], Task]:
        def parse(_: int, body: Any) -> Task:
            self.book.drop(task_id)
            return Task.model_validate(body)

        return parse
