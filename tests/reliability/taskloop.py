"""Tasks under crashes: workers drain a queue while the hub is SIGKILLed and restarted and workers are frozen
with SIGSTOP past their leases.

Worker processes claim with a short lease, work a little, sometimes heartbeat, and complete with a result
naming the attempt. A request that meets a dead hub is sent again, unchanged, until it is answered (so a
completion committed just before a kill is repeated with the same token and result: harmless). The
controller kills and restarts the hub, freezes a random worker for longer than lease + reaper interval, and
meanwhile watches that no task keeps a lease more than the reaper interval past its expiry. Judged at the
end: every task completed, exactly one attempt's completion accepted per task and that attempt's result
stored, no completion accepted from a worker whose lease had run out, and stale tokens refused with 409.

    python -m tests.reliability.taskloop --tasks 200 --cycles 10
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.hubproc import HubProcess

LEASE = 1.0
REAPER = 0.25
TOLERANCE = 0.75  # scheduling slack on a loaded machine, on top of lease + reaper interval


@dataclass
class TaskOutcome:
    tasks: int
    kills: int = 0
    freezes: int = 0
    completed: int = 0
    accepted: dict[str, list[str]] = field(default_factory=dict)  # task -> tokens whose completion was accepted
    wrong_result: list[str] = field(default_factory=list)
    stale_accepted: list[str] = field(default_factory=list)
    stale_refused: int = 0
    lease_overruns: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)

    @property
    def more_than_once(self) -> list[str]:
        return [task for task, tokens in self.accepted.items() if len(set(tokens)) != 1]

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.tasks
            and not self.more_than_once
            and not self.wrong_result
            and not self.stale_accepted
            and not self.lease_overruns
            and all(r == "ok" for r in self.integrity)
        )

    def summary(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "completed": self.completed,
            "kills": self.kills,
            "freezes": self.freezes,
            "completed_more_than_once": len(self.more_than_once),
            "wrong_result": len(self.wrong_result),
            "stale_completion_accepted": len(self.stale_accepted),
            "stale_tokens_refused": self.stale_refused,
            "lease_overruns": len(self.lease_overruns),
            "integrity_failures": sum(1 for r in self.integrity if r != "ok"),
        }


def _call(http: httpx.Client, method: str, path: str, body: Any = None) -> tuple[httpx.Response, float]:
    """Send until the hub answers: a dead or restarting hub is waited out, the request is not changed.
    Returns the answer and when the answered attempt was sent."""
    while True:
        sent = time.monotonic()
        try:
            return http.request(method, path, json=body), sent
        except httpx.TransportError:
            time.sleep(0.05)  # the hub is restarting


def worker_main(url: str, token: str, name: str, log_path: str, done: Synchronized[int], stop: Event) -> None:
    rng = random.Random(name)
    with (
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http,
        Path(log_path).open("a") as out,
    ):
        while not stop.is_set():
            claimed, granted = _call(http, "POST", "/api/tasks/claim", {"lease_seconds": LEASE})
            if claimed.status_code == 204:
                time.sleep(0.05)  # nothing ready: the queue may refill when a lease lapses
                continue
            claimed.raise_for_status()
            task = claimed.json()
            lease = task["lease_token"]
            time.sleep(rng.random() * 0.3)  # the work
            if rng.random() < 0.3:
                beat, sent = _call(http, "POST", f"/api/tasks/{task['id']}/heartbeat", {"lease_token": lease})
                if beat.status_code == 200:
                    granted = sent
            result = f"{task['id']}:{name}:{lease[:10]}"
            sent = time.monotonic()  # the first attempt: a retry may only repeat a completion already made
            answer, _ = _call(
                http, "POST", f"/api/tasks/{task['id']}/complete", {"lease_token": lease, "result": result}
            )
            record = {
                "task": task["id"],
                "token": lease,
                "result": result,
                "status": answer.status_code,
                "code": answer.json()["error"]["code"] if answer.status_code >= 400 else None,
                "held_for": sent - granted,
            }
            out.write(orjson.dumps(record).decode() + "\n")
            out.flush()
            if answer.status_code == 200:
                with done.get_lock():
                    done.value += 1


def _integrity(db: Path) -> str:
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _watch_leases(hub: HubProcess, stop: threading.Event, overruns: list[str]) -> None:
    """Poll the hub (when it is up) for a task still in progress past lease expiry + reaper interval."""
    with httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {hub.token}"}, timeout=5) as http:
        while not stop.is_set():
            try:
                tasks = http.get("/api/tasks", params={"status": "in_progress", "limit": 1000}).json()
                now = datetime.now(UTC)
            except (httpx.TransportError, ValueError):
                stop.wait(0.05)
                continue
            for task in tasks if isinstance(tasks, list) else []:
                expires = datetime.fromisoformat(task["lease_expires_at"])
                late = (now - expires).total_seconds()
                if late > REAPER + TOLERANCE:
                    overruns.append(f"{task['id']} held {late:.2f} s past its lease")
            stop.wait(0.1)


def run(workdir: Path, tasks: int = 40, workers: int = 3, cycles: int = 2, seed: int = 1) -> TaskOutcome:
    rng = random.Random(seed)
    env = {"AGENTHUB_REAPER_INTERVAL": str(REAPER)}
    hub = HubProcess(workdir / "hub", env=env).start()
    outcome = TaskOutcome(tasks=tasks)
    ctx = multiprocessing.get_context("spawn")
    done: Synchronized[int] = ctx.Value("q", 0)  # type: ignore[assignment]
    stop = ctx.Event()
    processes: list[Any] = []
    watching = threading.Event()
    watcher = threading.Thread(target=_watch_leases, args=(hub, watching, outcome.lease_overruns), daemon=True)
    try:
        with hub.client() as http:
            for n in range(tasks):
                http.post("/api/tasks", json={"title": f"job {n}", "max_attempts": 1000}).raise_for_status()
        for n in range(workers):
            _, token = hub.register(f"worker{n}")
            args = (hub.url, token, f"worker{n}", str(workdir / f"worker{n}.jsonl"), done, stop)
            processes.append(ctx.Process(target=worker_main, args=args, daemon=True))
        for process in processes:
            process.start()
        watcher.start()
        for cycle in range(cycles):
            goal = min(tasks, (cycle + 1) * tasks // (cycles + 1))
            _wait(lambda goal=goal: done.value >= goal, 120, processes, f"{goal} completions")
            frozen = rng.choice(processes)  # frozen past its lease: its task must be taken back meanwhile
            os.kill(frozen.pid, signal.SIGSTOP)
            outcome.freezes += 1
            time.sleep(LEASE + REAPER + 1.0)  # a fault's duration, not a wait for a condition
            hub.kill()
            outcome.kills += 1
            outcome.integrity.append(_integrity(hub.data_dir / "agenthub.db"))
            hub.start()
            os.kill(frozen.pid, signal.SIGCONT)
        _wait(lambda: done.value >= tasks, 180, processes, "every task completed")
        with hub.client() as http:
            final = {t["id"]: t for t in http.get("/api/tasks", params={"limit": 1000}).json()}
    finally:
        stop.set()
        watching.set()
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGCONT)
            process.join(30)
            if process.is_alive():
                process.kill()
        hub.stop()
    outcome.integrity.append(_integrity(hub.data_dir / "agenthub.db"))
    _judge(workdir, workers, final, outcome)
    return outcome


def _wait(condition: Any, timeout: float, processes: list[Any], what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        if any(p.exitcode not in (None, 0) for p in processes):
            raise RuntimeError("a worker failed")
        time.sleep(0.05)  # polling other processes' progress, with a deadline


def _judge(workdir: Path, workers: int, final: dict[str, Any], outcome: TaskOutcome) -> None:
    accepted: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in range(workers):
        path = workdir / f"worker{n}.jsonl"
        for line in path.read_text().splitlines() if path.exists() else []:
            record = orjson.loads(line)
            if record["status"] == 200:
                accepted[record["task"]].append(record)
                if record["held_for"] > LEASE + REAPER + TOLERANCE:
                    outcome.stale_accepted.append(f"{record['task']} completed {record['held_for']:.2f} s in")
            elif record["code"] == "lease_lost":
                outcome.stale_refused += 1
    outcome.accepted = {task: [r["token"] for r in records] for task, records in accepted.items()}
    for task_id, task in final.items():
        if task["status"] == "completed":
            outcome.completed += 1
        records = accepted.get(task_id, [])
        if records and task["result"] != records[0]["result"]:
            outcome.wrong_result.append(f"{task_id} stored {task['result']!r}, accepted {records[0]['result']!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agenthub-taskloop-") as tmp:
        outcome = run(Path(tmp), args.tasks, args.workers, args.cycles, args.seed)
    print(json.dumps(outcome.summary(), indent=2))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
