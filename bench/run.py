"""`make bench`: the hub and Redis under the same workloads, in one run, on this machine.

    python -m bench.run [--trials 3] [--duration 5] [--smoke] [--out bench/results]

Starts a hub (SQLite, default durability), a redis-server (loopback; once with `appendfsync always`, once
without persistence), a do-nothing WebSocket server on the hub's stack (the ceiling) and SQLite alone taking
message rows into the hub's schema (the storage ceiling, `bench/storage_ceiling.py`), runs every workload
against each, and writes `<out>/<timestamp>.json` and `<out>/<timestamp>.md`.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import multiprocessing
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
from tests.hubproc import HubProcess, free_port

from bench import workloads as w
from bench.cpu import STOLEN, Watch
from bench.report import write_reports
from bench.storage_ceiling import message_rows_per_second

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
FANOUT_PROCESSES = 3
"""The fan-out's load generators: two processes of subscribers and the publisher."""
REMEASURES = 2
"""How many times a measurement slowed by steal (over `STOLEN` cores) is made again."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def redis_server(persistent: bool) -> Iterator[tuple[int, int]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if persistent else ["--appendonly", "no"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), __import__("socket").create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)  # readiness poll of a starting server
        try:
            yield port, proc.pid
        finally:
            proc.terminate()
            proc.wait(10)


@contextlib.contextmanager
def ceiling_server() -> Iterator[tuple[int, int]]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.ceiling", str(port)], cwd=ROOT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), __import__("socket").create_connection(("127.0.0.1", port), 0.2):
            break
        time.sleep(0.05)
    try:
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


class Bench:
    def __init__(self, trials: int, duration: float, smoke: bool) -> None:
        self.trials = trials
        self.duration = duration
        self.smoke = smoke
        self.results: dict[str, dict[str, Any]] = {}

    def record(self, name: str, unit: str, value: float, **extra: Any) -> None:
        entry = self.results.setdefault(name, {"unit": unit, "values": [], "extra": []})
        entry["values"].append(round(value, 3))
        if extra:
            entry["extra"].append(extra)
        print(f"  {name:<32} {value:>12,.1f} {unit}  {extra if extra else ''}", flush=True)

    def measured(
        self,
        name: str,
        unit: str,
        pid: int,
        load_processes: int,
        fn: Callable[[], float],
        *,
        prepare: Callable[[], object] | None = None,
        **extra: Any,
    ) -> None:
        """Run `fn` (which returns the figure, driving the server `pid` from `load_processes` processes) and
        note how busy the server, the load generators and the machine were meanwhile (`bench/cpu.py`).
        `prepare` runs before each attempt, unmeasured (`quietest`)."""
        value, usage, others = self.quietest(name, pid, load_processes, fn, prepare)
        self.record(name, unit, value, **usage, **extra, **_set_aside(others, float))

    def quietest(
        self,
        name: str,
        pid: int,
        load_processes: int,
        fn: Callable[[], T],
        prepare: Callable[[], object] | None = None,
    ) -> tuple[T, dict[str, Any], list[tuple[T, float]]]:
        """`fn()` with the usage it was measured under, made again (up to `REMEASURES` times) while the
        hypervisor took more than `STOLEN` of a core meanwhile: the attempt with the least steal, and the
        others' results and steal."""
        attempts: list[tuple[T, dict[str, Any]]] = []
        while True:
            if prepare is not None:
                prepare()
            watch = Watch(pid, load_processes)
            value = fn()
            usage = watch.usage()
            attempts.append((value, usage))
            if usage["steal_cores"] <= STOLEN or len(attempts) > REMEASURES:
                break
            print(f"  {name}: {usage['steal_cores']:.2f} of a core stolen, measuring again", flush=True)
        kept = min(range(len(attempts)), key=lambda i: attempts[i][1]["steal_cores"])
        others = [(value, usage["steal_cores"]) for i, (value, usage) in enumerate(attempts) if i != kept]
        return attempts[kept][0], attempts[kept][1], others

    # -- scenarios ---------------------------------------------------------------------------------------

    def run(self) -> None:
        procs = 1 if self.smoke else 2
        conns = 2 if self.smoke else 16
        window = 16 if self.smoke else 64
        for trial in range(self.trials):
            print(f"trial {trial + 1}/{self.trials}", flush=True)
            with ceiling_server() as (port, pid):
                agents = [(f"c{i}", "none") for i in range(conns)]
                self.publish("ceiling_ws_single", f"ws://127.0.0.1:{port}", agents, window, 1, procs, pid)
            rows = w.in_processes(message_rows_per_second, [(100, self.duration)])[0]
            self.record("storage_ceiling_rows", "rows/s", rows)
            with tempfile.TemporaryDirectory() as data:
                hub = HubProcess(Path(data) / "hub").start()
                try:
                    self.hub_workloads(hub, conns, window, procs)
                finally:
                    hub.stop()
            for persistent in (True, False):
                label = "always" if persistent else "nopersist"
                with redis_server(persistent) as (port, pid):
                    self.redis_workloads(port, pid, label, conns, window, procs)
        self.results["import_agenthub"] = {"unit": "ms", "values": [import_time_ms() for _ in range(3)], "extra": []}

    def publish(
        self, name: str, ws_base: str, agents: list[w.Agent], window: int, batch: int, procs: int, pid: int
    ) -> None:
        jobs = [(ws_base, agents[i::procs], window, batch, self.duration) for i in range(procs)]
        self.measured(name, "msg/s", pid, procs, lambda: sum(w.in_processes(w.ws_publish, jobs)) / self.duration)

    def hub_workloads(self, hub: HubProcess, conns: int, window: int, procs: int) -> None:
        assert hub.proc is not None
        pid = hub.proc.pid
        agents = [(a["id"], t) for a, t in (hub.register(f"pub{i}") for i in range(conns))]
        self.publish("hub_ws_single", hub.ws_url, agents, window, 1, procs, pid)
        self.publish("hub_ws_batched", hub.ws_url, agents, max(2, window // 8), 100, procs, pid)
        http_conns = 8 if self.smoke else 32
        jobs = [(hub.port, agents[0][1], http_conns // procs, self.duration) for _ in range(procs)]
        self.measured(
            "hub_http_single", "req/s", pid, procs, lambda: sum(w.in_processes(w.http_publish, jobs)) / self.duration
        )
        self.fanout_hub(hub, pid)
        self.latency_hub(hub)
        self.tasks_hub(hub, pid)
        self.cas_hub(hub, pid)
        self.idle_agents(hub, pid)

    def tasks_hub(self, hub: HubProcess, pid: int) -> None:
        total = 300 if self.smoke else 10_000
        creator = hub.register("task-creator")
        queue = [(hub.ws_url, (creator[0]["id"], creator[1]), total)]
        workers = [(a["id"], t) for a, t in (hub.register(f"worker{i}") for i in range(16))]
        jobs = [(hub.ws_url, workers[i::2], self.duration) for i in range(2)]
        done: list[str] = []

        def go() -> float:
            ids, rate = w.completed_rate(w.in_processes(w.hub_task_workers, jobs))
            done.extend(ids)
            return rate

        prepare = partial(w.in_processes, w.hub_create_tasks, queue)
        self.measured("hub_tasks", "tasks/s", pid, len(jobs), go, prepare=prepare, queued=total)
        if len(done) != len(set(done)):
            raise SystemExit(f"a task was completed twice: {len(done) - len(set(done))} duplicates")

    def cas_hub(self, hub: HubProcess, pid: int) -> None:
        with hub.client() as http:
            http.post("/api/memory", json={"key": "bench/counter", "value": 0}).raise_for_status()
        clients = [(a["id"], t) for a, t in (hub.register(f"cas{i}") for i in range(8))]
        jobs = [(hub.ws_url, clients[i::2], self.duration) for i in range(2)]
        wins: list[int] = []  # of each attempt: the counter counts them all

        def go() -> float:
            wins.append(sum(r[0] for r in w.in_processes(w.hub_cas, jobs)))
            return wins[-1] / self.duration

        self.measured("hub_cas", "writes/s", pid, len(jobs), go)
        with hub.client() as http:
            final = http.get("/api/memory/key/bench/counter").json()["value"]
        if final != sum(wins):
            raise SystemExit(f"CAS counter is {final} after {sum(wins)} successful writes")

    def fanout_hub(self, hub: HubProcess, pid: int) -> None:
        subscribers = 10 if self.smoke else 100
        total = 200 if self.smoke else 3000
        subs = [(a["id"], t) for a, t in (hub.register(f"fan{i}") for i in range(subscribers))]
        publisher = hub.register("fan-pub")
        ctx = multiprocessing.get_context("spawn")
        manager = ctx.Manager()
        ready = manager.Queue()
        groups = [subs[i::2] for i in range(2)]

        def go() -> float:
            with ctx.Pool(FANOUT_PROCESSES) as pool:
                results = [pool.apply_async(w.hub_subscribers, (hub.ws_url, g, total, ready, 120)) for g in groups]
                for _ in range(subscribers):
                    ready.get(timeout=60)
                started = pool.apply(w.hub_fanout_publish, (hub.ws_url, (publisher[0]["id"], publisher[1]), total, 100))
                finished = max(t for r in results for t in r.get(180))
            return subscribers * total / (finished - started)

        self.measured("hub_fanout_100", "deliveries/s", pid, FANOUT_PROCESSES, go)

    def latency_hub(self, hub: HubProcess) -> None:
        rate, seconds = 1000, (1 if self.smoke else 5)
        total = rate * seconds
        attempts = itertools.count()
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Manager().Queue()

        def go() -> list[float]:  # each attempt on a channel and with subscribers of its own: nothing to replay
            channel = f"lat{next(attempts)}"
            subs = [(a["id"], t) for a, t in (hub.register(f"{channel}-{i}") for i in range(10))]
            publisher, token = hub.register(f"{channel}-pub")
            with ctx.Pool(2) as pool:
                result = pool.apply_async(w.hub_latency_subscribers, (hub.ws_url, subs, channel, total, ready, 120))
                for _ in subs:
                    ready.get(timeout=60)
                pool.apply(w.hub_latency_publish, (hub.ws_url, (publisher["id"], token), channel, rate, total))
                return result.get(120)

        assert hub.proc is not None
        self.latencies("hub_latency", hub.proc.pid, go)

    def latencies(self, name: str, pid: int, fn: Callable[[], list[float]]) -> None:
        """Record the p50 and p99 of the latencies `fn` measures, made again while steal was high (`quietest`);
        the p99 of each attempt set aside is noted."""
        latencies, usage, others = self.quietest(name, pid, 2, fn)
        steal = {"steal_cores": usage["steal_cores"]}
        self.record(f"{name}_p50", "ms", w.percentile(latencies, 0.5), **steal)
        p99 = partial(w.percentile, q=0.99)
        self.record(f"{name}_p99", "ms", p99(latencies), **steal, **_set_aside(others, p99))

    def idle_agents(self, hub: HubProcess, pid: int) -> None:
        count = 50 if self.smoke else 1000
        with httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {hub.token}"}, timeout=60) as http:
            agents = []
            for i in range(count):
                body = http.post("/api/agents/register", json={"name": f"idle{i}"}).json()
                agents.append((body["agent"]["id"], body["token"]))
        ctx = multiprocessing.get_context("spawn")
        manager = ctx.Manager()
        ready, release = manager.Queue(), manager.Event()
        groups = [agents[i::4] for i in range(4)]
        with ctx.Pool(4) as pool:
            results = [pool.apply_async(w.hold_idle, (hub.ws_url, g, ready, release)) for g in groups]
            counts, seconds = zip(*(ready.get(timeout=120) for _ in groups), strict=True)
            self.record("hub_idle_connect", "s", max(seconds), agents=sum(counts), clients=len(groups))
            self.record("hub_idle_rss", "MB", rss_mb(pid), agents=sum(counts))
            release.set()
            for r in results:
                r.get(60)

    def redis_workloads(self, port: int, pid: int, label: str, conns: int, window: int, procs: int) -> None:
        jobs = [(port, conns // procs, window, self.duration) for _ in range(procs)]
        self.measured(
            f"redis_xadd_{label}_single",
            "msg/s",
            pid,
            procs,
            lambda: sum(w.in_processes(w.redis_xadd, jobs)) / self.duration,
        )
        jobs = [(port, conns // procs, max(2, window // 8), self.duration, 100) for _ in range(procs)]
        self.measured(
            f"redis_xadd_{label}_batched",
            "msg/s",
            pid,
            procs,
            lambda: sum(w.in_processes(w.redis_xadd, jobs)) / self.duration,
        )
        if label != "always":
            return
        self.fanout_redis(port, pid)
        self.latency_redis(port, pid)
        total = 300 if self.smoke else 100_000  # enough that the queue does not run dry within the trial
        jobs = [(port, 8, self.duration, n * 8) for n in range(2)]
        self.measured(
            "redis_tasks",
            "tasks/s",
            pid,
            len(jobs),
            lambda: w.completed_rate(w.in_processes(w.redis_task_workers, jobs))[1],
            prepare=partial(w.in_processes, w.redis_create_tasks, [(port, total)]),
            queued=total,
        )
        cas_jobs = [(port, 4, self.duration) for _ in range(2)]
        self.measured(
            "redis_cas",
            "writes/s",
            pid,
            len(cas_jobs),
            lambda: sum(r[0] for r in w.in_processes(w.redis_cas, cas_jobs)) / self.duration,
        )

    def fanout_redis(self, port: int, pid: int) -> None:
        subscribers = 10 if self.smoke else 100
        total = 200 if self.smoke else 3000
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Manager().Queue()

        def go() -> float:
            with ctx.Pool(FANOUT_PROCESSES) as pool:
                results = [
                    pool.apply_async(w.redis_subscribers, (port, subscribers // 2, total, ready, 120)) for _ in range(2)
                ]
                for _ in range(subscribers):
                    ready.get(timeout=60)
                started = pool.apply(w.redis_fanout_publish, (port, total, 100))
                finished = max(t for r in results for t in r.get(180))
            return subscribers * total / (finished - started)

        self.measured("redis_fanout_100", "deliveries/s", pid, FANOUT_PROCESSES, go)

    def latency_redis(self, port: int, pid: int) -> None:
        rate, seconds = 1000, (1 if self.smoke else 5)
        total = rate * seconds
        attempts = itertools.count()
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Manager().Queue()
        for mode in ("pubsub", "stream"):

            def go(mode: str = mode) -> list[float]:
                channel = f"lat{next(attempts)}"
                with ctx.Pool(2) as pool:
                    result = pool.apply_async(w.redis_latency_subscribers, (port, channel, 10, total, ready, mode, 120))
                    for _ in range(10):
                        ready.get(timeout=60)
                    pool.apply(w.redis_latency_publish, (port, channel, rate, total, mode))
                    return result.get(120)

            self.latencies(f"redis_{mode}_latency", pid, go)


def _set_aside(others: list[tuple[T, float]], figure: Callable[[T], float]) -> dict[str, Any]:
    """The `remeasured` note of the attempts `Bench.quietest` set aside (each as its `figure`), or nothing."""
    if not others:
        return {}
    return {"remeasured": [{"value": round(figure(result), 3), "steal_cores": steal} for result, steal in others]}


def import_time_ms() -> float:
    """Wall time of `import agenthub` in a fresh interpreter, less the interpreter's own start."""

    def timed(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    return round(1000 * (min(timed("import agenthub") for _ in range(3)) - min(timed("pass") for _ in range(3))), 1)


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "redis": next((part.split("=")[1] for part in redis if part.startswith("v=")), "?"),
        "agenthub": __import__("agenthub").__version__,
    }


def publish(document: dict[str, Any], table: Path) -> None:
    """Make this run the one `docs/benchmarks.md` shows (the table, the chart, and the notes kept there)."""
    docs = ROOT / "docs" / "benchmarks.md"
    notes = ""
    if docs.exists():
        text = docs.read_text()
        marker = "\n## Notes\n"
        notes = text[text.index(marker) :] if marker in text else ""
    chart = table.with_suffix(".png")
    if chart.exists():
        (ROOT / "docs" / "benchmarks.png").write_bytes(chart.read_bytes())
    body = table.read_text().replace("# agenthub vs Redis,", "# Benchmarks: agenthub vs Redis,", 1)
    source = table.with_suffix(".json").relative_to(ROOT) if table.is_relative_to(ROOT) else table.with_suffix(".json")
    docs.write_text(
        f"{body}\n![agenthub vs Redis](benchmarks.png)\n\nRaw figures: `{source}`. Re-run with `make bench`.\n{notes}"
    )
    print(f"published {docs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--smoke", action="store_true", help="seconds-long run that checks the bench works")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if args.smoke:
        args.trials, args.duration = 1, 0.5
    bench = Bench(args.trials, args.duration, args.smoke)
    started = datetime.now(UTC)
    bench.run()
    for entry in bench.results.values():
        values = entry["values"]
        entry.update(min=min(values), median=statistics.median(values), max=max(values))
    document = {
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "smoke": args.smoke,
        "trials": args.trials,
        "duration_seconds": args.duration,
        "machine": machine(),
        "results": bench.results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y%m%dT%H%M%SZ") + ("-smoke" if args.smoke else "")
    (args.out / f"{stem}.json").write_text(json.dumps(document, indent=2) + "\n")
    write_reports(document, args.out / f"{stem}.md")
    print(f"wrote {args.out / stem}.json and .md")
    if not args.smoke:
        publish(document, args.out / f"{stem}.md")


if __name__ == "__main__":
    main()
