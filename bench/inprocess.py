"""The hub without its network: publishes and task claims made in this process, straight on `Hub` and its
SQLite storage. Against the same workload in `make bench`, a figure here says how much of the hub's cost is
its HTTP and WebSocket side and how much is the hub itself (`docs/benchmarks.md`).

    python -m bench.inprocess publish|tasks [--seconds 5]

- publish: 16 agents keep 64 publishes of one message in flight each, each with a `msg_id` and validated
  from the JSON a client sends, as `message:send` does, and acknowledged once durable.
- tasks: 16 workers claim and complete queued tasks, each completing a task with its next claim.

Prints the rate, the cores the process used (all threads, and its busiest one) and its CPU per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import orjson

from agenthub.hub import OPERATOR_ACTOR, Actor, Hub
from agenthub.models import RegisterRequest
from agenthub.models.messages import MessageCreate
from agenthub.models.tasks import ClaimRequest, Completion, TaskCreate
from agenthub.settings import HubSettings
from agenthub.storage.sqlite import SQLiteStorage
from bench.cpu import Watch

AGENTS = 16
WINDOW = 64
TASKS_PER_SECOND = 3000
"""Tasks queued per second of the run: more than the hub completes, so the workers never run dry."""


async def _publish(hub: Hub, actors: list[Actor], seconds: float) -> int:
    ids = itertools.count()
    stop_at = time.monotonic() + seconds
    done = 0

    async def publisher(actor: Actor) -> None:
        nonlocal done
        slots = asyncio.Semaphore(WINDOW)

        def acknowledged(_: asyncio.Future[Any]) -> None:
            nonlocal done
            done += 1
            slots.release()

        while time.monotonic() < stop_at:
            await slots.acquire()
            body = orjson.loads(orjson.dumps({"channel": "bench", "content": "x" * 64, "msg_id": f"m{next(ids)}"}))
            item = hub.messages.prepare(actor, MessageCreate.model_validate(body))
            hub.messages.submit([item], list).add_done_callback(acknowledged)
        for _ in range(WINDOW):  # the last ones in flight
            await slots.acquire()

    await asyncio.gather(*(publisher(actor) for actor in actors))
    return done


async def _tasks(hub: Hub, actors: list[Actor], seconds: float) -> int:
    done = 0

    async def worker(actor: Actor) -> None:
        nonlocal done
        task = await hub.tasks.claim(actor, ClaimRequest(tags=["bench"]))
        while task is not None:
            finished = Completion(task_id=task.id, lease_token=task.lease_token, result={})
            task = await hub.tasks.claim(actor, ClaimRequest(tags=["bench"], complete=finished))
            done += 1

    await asyncio.gather(*(worker(actor) for actor in actors))
    return done


async def _queue_tasks(hub: Hub, actor: Actor, count: int) -> None:
    for start in range(0, count, 500):
        await asyncio.gather(
            *(hub.tasks.create(actor, TaskCreate(title=f"t{i}", tags=["bench"])) for i in range(start, start + 500))
        )


Workload = Callable[[Hub, list[Actor], float], Awaitable[int]]
WORKLOADS: dict[str, tuple[Workload, str, str]] = {
    "publish": (_publish, "msg/s", "message"),
    "tasks": (_tasks, "tasks/s", "task"),
}
"""Each workload: its function, the unit of its rate, and what one operation is."""


async def measure(workload: str, seconds: float, data: Path) -> dict[str, float]:
    """Run one workload on a fresh hub in `data`; its rate, cores and CPU per operation."""
    run = WORKLOADS[workload][0]
    hub = Hub(HubSettings(data_dir=data), SQLiteStorage(data / "hub.db"))
    await hub.start()
    try:
        actors = []
        for n in range(AGENTS):
            agent, _, _ = await hub.agents.register(OPERATOR_ACTOR, RegisterRequest(name=f"bench-{n}"))
            actors.append(Actor(agent_id=agent.id, name=agent.name))
        if workload == "tasks":
            await _queue_tasks(hub, actors[0], int(seconds * TASKS_PER_SECOND))
        pid = os.getpid()
        watch, started = Watch(pid, 0), time.monotonic()
        done = await run(hub, actors, seconds)
        elapsed, usage = time.monotonic() - started, watch.usage()
    finally:
        await hub.stop()
    return {
        "per_second": done / elapsed,
        "cores": usage["server_cores"],
        "busiest_thread_cores": usage["busiest_thread_cores"],
        "cpu_us_each": 1e6 * usage["server_cores"] * elapsed / max(done, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data:
        result = _run(measure(args.workload, args.seconds, Path(data)))
    _, rate, each = WORKLOADS[args.workload]
    print(
        f"{args.workload} in process: {result['per_second']:,.0f} {rate}, {result['cores']:.2f} cores"
        f" (busiest thread {result['busiest_thread_cores']:.2f}), {result['cpu_us_each']:.0f} us of CPU a {each}"
    )


def _run(coroutine: Coroutine[Any, Any, dict[str, float]]) -> dict[str, float]:
    """On uvloop, as `agenthub serve` runs, when it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


if __name__ == "__main__":
    main()
