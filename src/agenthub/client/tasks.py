"""Task operations of the two clients: thin I/O over `TaskCalls`, the async worker loop, the sync session.

`AgentClient` and `Client` mix these in; what to send and how to read answers lives in `_tasks.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agenthub.client._tasks import TaskCalls
from agenthub.errors import Conflict, HubUnavailable, NotFound
from agenthub.models import AgentStatus, Assignment, Task, TaskGraph, TaskStatus

if TYPE_CHECKING:
    from agenthub.client._core import Call
    from agenthub.client.sync_client import Client

T = TypeVar("T")
TaskHandler = Callable[[Task], Any]
log = logging.getLogger("agenthub.client")
LOST = (Conflict, NotFound)  # the lease was lost or the task is gone: someone else owns the outcome


@dataclass(frozen=True, slots=True)
class Finished:
    """A task a worker's handler finished, and its result: completed with the worker's next claim."""

    task_id: str
    result: Any


class AsyncTaskMethods:
    """Task operations of `AgentClient`. Lease tokens of claimed and started tasks are remembered and sent
    for you by `heartbeat_task`, `complete_task` and `fail_task`."""

    _task_calls: TaskCalls

    if TYPE_CHECKING:

        async def _call(self, call: Call[T], token: str | None = None) -> T: ...

        def on_event(
            self, event: str, parse: Callable[[dict[str, Any]], Any] | None = None
        ) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]: ...

    def on_task_assigned(self, handler: TaskHandler) -> TaskHandler:
        """Decorator: `handler(task)` when a task is assigned to this agent (durable: missed ones are replayed)."""
        self.on_event("task:assigned", Task.model_validate)(handler)
        return handler

    def on_task_updated(self, handler: TaskHandler) -> TaskHandler:
        """Decorator: `handler(task)` when a task this agent created or holds changes (live only)."""
        self.on_event("task:updated", Task.model_validate)(handler)
        return handler

    async def create_task(self, title: str, **fields: Any) -> Task:
        """Fields: description, priority (1-5), tags, requirements, depends_on, assign_to ("auto", an agent id
        or name), due_date, max_attempts, idempotency_key."""
        return await self._call(self._task_calls.create(title, **fields))

    async def get_task(self, task_id: str) -> Task:
        return await self._call(self._task_calls.get(task_id))

    async def list_tasks(
        self, status: TaskStatus | str | None = None, assignee_id: str | None = None, tag: str | None = None
    ) -> list[Task]:
        return await self._call(self._task_calls.query(status, assignee_id, tag, limit=1000))

    async def pending_tasks(self, limit: int = 50) -> list[Task]:
        return await self._call(self._task_calls.pending(limit))

    async def update_task(self, task_id: str, **fields: Any) -> Task:
        return await self._call(self._task_calls.update(task_id, **fields))

    async def assign_task(self, task_id: str, agent: str) -> Task:
        return await self._call(self._task_calls.assign(task_id, agent))

    async def cancel_task(self, task_id: str) -> Task:
        return await self._call(self._task_calls.cancel(task_id))

    async def delete_task(self, task_id: str) -> None:
        await self._call(self._task_calls.delete(task_id))

    async def reject_task(self, task_id: str, reason: str | None = None) -> Task:
        """Decline an assignment not yet started: the task goes back to the queue."""
        return await self._call(self._task_calls.reject(task_id, reason))

    async def claim_task(self, tags: list[str] | None = None, lease_seconds: float | None = None) -> Task | None:
        """The most urgent ready task (with one of `tags`), now held by this agent; None when there is none."""
        return await self._call(self._task_calls.claim(tags, lease_seconds))

    async def complete_and_claim(
        self, task_id: str, result: Any = None, tags: list[str] | None = None, lease_seconds: float | None = None
    ) -> Task | None:
        """Complete `task_id` with `result` and claim the next ready task (with one of `tags`) in one request
        and one commit; None when no task is ready. A refused completion raises, and nothing is claimed."""
        return await self._call(self._task_calls.complete_and_claim(task_id, result, tags, lease_seconds))

    async def start_task(self, task_id: str, lease_seconds: float | None = None) -> Task:
        """Accept an assigned task and take its lease."""
        return await self._call(self._task_calls.start(task_id, lease_seconds))

    async def heartbeat_task(self, task_id: str, lease_seconds: float | None = None) -> Task:
        return await self._call(self._task_calls.heartbeat(task_id, lease_seconds))

    async def complete_task(self, task_id: str, result: Any = None) -> Task:
        return await self._call(self._task_calls.complete(task_id, result))

    async def fail_task(self, task_id: str, error: str, retry: bool = False) -> Task:
        return await self._call(self._task_calls.fail(task_id, error, retry))

    async def task_assignments(self, task_id: str) -> list[Assignment]:
        return await self._call(self._task_calls.assignments(task_id))

    async def task_graph(self, task_id: str) -> TaskGraph:
        return await self._call(self._task_calls.graph(task_id))

    async def run_worker(
        self,
        handler: TaskHandler,
        *,
        tags: list[str] | None = None,
        concurrency: int = 1,
        lease_seconds: float = 60.0,
        idle_seconds: float = 1.0,
        stop_when_idle: bool = False,
    ) -> int:
        """Claim and run tasks, up to `concurrency` at once, until cancelled (or, with `stop_when_idle`, until
        no task is ready). `handler(task)` may be async, or sync (it then runs in a thread). While it runs the
        lease is renewed every third of `lease_seconds`; its return value completes the task, an exception
        fails it with `retry=True` (requeued after a backoff while attempts remain). A lost lease cancels the
        handler. Returns how many tasks this call handled."""
        handled = 0

        async def slot() -> None:
            nonlocal handled
            finished: Finished | None = None
            while True:
                try:
                    task = await self._claim_next(finished, tags, lease_seconds)
                    finished = None
                except HubUnavailable:  # handed in again: recorded once, and the task it claimed is answered again
                    task = None
                    if stop_when_idle:
                        raise
                if task is None:
                    if stop_when_idle:
                        return
                    await asyncio.sleep(idle_seconds)
                    continue
                finished = await self._work_on(task, handler, lease_seconds)
                handled += 1

        await asyncio.gather(*(slot() for _ in range(concurrency)))
        return handled

    async def _claim_next(self, finished: Finished | None, tags: list[str] | None, lease_seconds: float) -> Task | None:
        """The next task; with `finished`, completing that task in the same request."""
        if finished is not None:
            try:
                return await self.complete_and_claim(finished.task_id, finished.result, tags, lease_seconds)
            except LOST as exc:
                log.warning("task %s was not completed: %s", finished.task_id, exc)
                self._task_calls.book.drop(finished.task_id)
        return await self.claim_task(tags=tags, lease_seconds=lease_seconds)

    async def _work_on(self, task: Task, handler: TaskHandler, lease_seconds: float) -> Finished | None:
        """Run the handler under a kept lease: its result, to hand in with the next claim; None when there
        is nothing to complete (the handler failed, and the task with it, or the lease was lost)."""
        work: asyncio.Future[Any] = asyncio.ensure_future(_invoke(handler, task))
        lost = asyncio.Event()
        beats = asyncio.create_task(self._keep_lease(task.id, lease_seconds, work, lost))
        try:
            result = await work
        except asyncio.CancelledError:
            if not lost.is_set():
                raise
            log.warning("lost the lease of task %s: its handler was cancelled", task.id)
            self._task_calls.book.drop(task.id)
            return None
        except Exception as exc:  # the handler's failure is the task's failure
            beats.cancel()
            with contextlib.suppress(*LOST):
                await self.fail_task(task.id, f"{type(exc).__name__}: {exc}", retry=True)
            return None
        finally:
            beats.cancel()
        return Finished(task.id, result)

    async def _keep_lease(
        self, task_id: str, lease_seconds: float, work: asyncio.Future[Any], lost: asyncio.Event
    ) -> None:
        while not work.done():
            await asyncio.sleep(lease_seconds / 3)
            try:
                await self.heartbeat_task(task_id)
            except LOST:
                lost.set()
                work.cancel()
                return
            except HubUnavailable:
                continue  # keep trying while the lease lasts


async def _invoke(handler: TaskHandler, task: Task) -> Any:
    if inspect.iscoroutinefunction(handler):
        return await handler(task)
    result = await asyncio.to_thread(handler, task)
    if inspect.isawaitable(result):
        return await result
    return result


class SyncTaskMethods:
    """Task operations of `Client` (blocking), the same as `AgentClient`'s, plus `session(...)`."""

    _task_calls: TaskCalls

    if TYPE_CHECKING:

        def _call(self, call: Call[T]) -> T: ...

        def set_status(self, status: AgentStatus | str) -> Any: ...

        def close(self) -> None: ...

    @classmethod
    @contextlib.contextmanager
    def session(
        cls,
        name: str,
        agent_type: str = "script",
        server_url: str | None = None,
        *,
        hub_token: str | None = None,
        capabilities: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        data_dir: Path | None = None,
    ) -> Iterator[Client]:
        """`with Client.session("worker-1") as coord: task = coord.claim_task(tags=["backend"])`: an agent
        for the block. On the way out, tasks it still holds go back to the queue and it is marked offline."""
        from agenthub.client.sync_client import Client

        client = Client.for_agent(
            name,
            agent_type,
            server_url,
            hub_token=hub_token,
            capabilities=capabilities,
            metadata=metadata,
            data_dir=data_dir,
        )
        try:
            client.set_status(AgentStatus.online)
            yield client
        finally:
            client.release_tasks()
            with contextlib.suppress(HubUnavailable):
                client.set_status(AgentStatus.offline)
            client.close()

    def run_worker(
        self,
        handler: Callable[[Task], Any],
        *,
        tags: list[str] | None = None,
        concurrency: int = 1,
        lease_seconds: float = 60.0,
        idle_seconds: float = 1.0,
        stop_when_idle: bool = False,
    ) -> int:
        """The blocking twin of `AgentClient.run_worker`: `concurrency` threads claim and run tasks until
        interrupted (or, with `stop_when_idle`, until no task is ready). While `handler(task)` runs, the lease is
        renewed every third of `lease_seconds`; its return value completes the task, an exception fails it with
        `retry=True`. A plain function cannot be cancelled, so when the lease is lost its result is dropped.
        Returns how many tasks were handled."""
        handled = 0
        count = threading.Lock()
        stop = threading.Event()
        errors: list[BaseException] = []

        def slot() -> None:
            nonlocal handled
            finished: Finished | None = None
            try:
                while not stop.is_set():
                    task = self._claim_next_sync(finished, tags, lease_seconds)
                    finished = None
                    if task is None:
                        if stop_when_idle:
                            return
                        stop.wait(idle_seconds)
                        continue
                    finished = self._work_on_sync(task, handler, lease_seconds)
                    with count:
                        handled += 1
            except BaseException as exc:  # reported by the caller's thread, below
                errors.append(exc)
                stop.set()

        threads = [threading.Thread(target=slot, name=f"agenthub-worker-{n}", daemon=True) for n in range(concurrency)]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:
            stop.set()
            raise
        if errors:
            raise errors[0]
        return handled

    def _claim_next_sync(self, finished: Finished | None, tags: list[str] | None, lease_seconds: float) -> Task | None:
        """The next task; with `finished`, completing that task in the same request."""
        if finished is not None:
            try:
                return self.complete_and_claim(finished.task_id, finished.result, tags, lease_seconds)
            except LOST as exc:
                log.warning("task %s was not completed: %s", finished.task_id, exc)
                self._task_calls.book.drop(finished.task_id)
        return self.claim_task(tags=tags, lease_seconds=lease_seconds)

    def _work_on_sync(self, task: Task, handler: Callable[[Task], Any], lease_seconds: float) -> Finished | None:
        """As `_work_on`: the handler's result to hand in with the next claim, or None."""
        finished = threading.Event()
        lost = threading.Event()

        def keep_lease() -> None:
            while not finished.wait(lease_seconds / 3):
                try:
                    self.heartbeat_task(task.id)
                except LOST:
                    lost.set()
                    return
                except HubUnavailable:
                    continue  # keep trying while the lease lasts

        beats = threading.Thread(target=keep_lease, name=f"agenthub-lease-{task.id}", daemon=True)
        beats.start()
        try:
            result = handler(task)
        except Exception as exc:  # the handler's failure is the task's failure
            finished.set()
            beats.join()
            if not lost.is_set():
                with contextlib.suppress(*LOST):
                    self.fail_task(task.id, f"{type(exc).__name__}: {exc}", retry=True)
            return None
        finished.set()
        beats.join()
        if lost.is_set():
            log.warning("lost the lease of task %s: its result is dropped", task.id)
            self._task_calls.book.drop(task.id)
            return None
        return Finished(task.id, result)

    def release_tasks(self, reason: str = "released: the worker stopped") -> None:
        """Give back every task this client holds a lease on (failed with retry, so it is requeued)."""
        for task_id in list(self._task_calls.book.tokens):
            with contextlib.suppress(*LOST, HubUnavailable):
                self.fail_task(task_id, reason, retry=True)
            self._task_calls.book.drop(task_id)

    def create_task(self, title: str, **fields: Any) -> Task:
        return self._call(self._task_calls.create(title, **fields))

    def get_task(self, task_id: str) -> Task:
        return self._call(self._task_calls.get(task_id))

    def list_tasks(
        self, status: TaskStatus | str | None = None, assignee_id: str | None = None, tag: str | None = None
    ) -> list[Task]:
        return self._call(self._task_calls.query(status, assignee_id, tag, limit=1000))

    def pending_tasks(self, limit: int = 50) -> list[Task]:
        return self._call(self._task_calls.pending(limit))

    def update_task(self, task_id: str, **fields: Any) -> Task:
        return self._call(self._task_calls.update(task_id, **fields))

    def assign_task(self, task_id: str, agent: str) -> Task:
        return self._call(self._task_calls.assign(task_id, agent))

    def cancel_task(self, task_id: str) -> Task:
        return self._call(self._task_calls.cancel(task_id))

    def delete_task(self, task_id: str) -> None:
        self._call(self._task_calls.delete(task_id))

    def reject_task(self, task_id: str, reason: str | None = None) -> Task:
        return self._call(self._task_calls.reject(task_id, reason))

    def claim_task(self, tags: list[str] | None = None, lease_seconds: float | None = None) -> Task | None:
        return self._call(self._task_calls.claim(tags, lease_seconds))

    def complete_and_claim(
        self, task_id: str, result: Any = None, tags: list[str] | None = None, lease_seconds: float | None = None
    ) -> Task | None:
        """As `AgentClient.complete_and_claim`."""
        return self._call(self._task_calls.complete_and_claim(task_id, result, tags, lease_seconds))

    def start_task(self, task_id: str, lease_seconds: float | None = None) -> Task:
        return self._call(self._task_calls.start(task_id, lease_seconds))

    def heartbeat_task(self, task_id: str, lease_seconds: float | None = None) -> Task:
        return self._call(self._task_calls.heartbeat(task_id, lease_seconds))

    def complete_task(self, task_id: str, result: Any = None) -> Task:
        return self._call(self._task_calls.complete(task_id, result))

    def fail_task(self, task_id: str, error: str, retry: bool = False) -> Task:
        return self._call(self._task_calls.fail(task_id, error, retry))

    def task_assignments(self, task_id: str) -> list[Assignment]:
        return self._call(self._task_calls.assignments(task_id))

    def task_graph(self, task_id: str) -> TaskGraph:
        return self._call(self._task_calls.graph(task_id))
