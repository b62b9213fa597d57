"""Load: many concurrent WebSocket agents exchanging direct and channel messages on one hub; nothing is lost.

The agents are raw asyncio WebSocket clients spread over a few processes. Each agent subscribes to its group's
channel, then, for the duration, sends a direct message to a random agent or a message to its group at a
steady rate (each with a unique `msg_id`), receives, and acknowledges. When sending stops the controller waits
until every acknowledged message has reached every agent entitled to it, then checks that nothing was lost,
duplicated, unexpected or out of `seq` order, and that no connection was dropped.

    python -m tests.reliability.load --agents 1000 --seconds 60     # the soak scenario
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import orjson

from tests.hubproc import HubProcess
from tests.wsclient import RawSocket

GROUP_SIZE = 20  # agents per channel


@dataclass
class LoadResult:
    agents: int
    seconds: float
    sent: int = 0
    deliveries_expected: int = 0
    delivered: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    dropped_connections: int = 0
    max_ack_seconds: float = 0.0
    throughput: float = 0.0  # acknowledged sends a second

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.out_of_order or self.dropped_connections)

    def summary(self) -> dict[str, Any]:
        return {
            "agents": self.agents,
            "seconds": self.seconds,
            "sent": self.sent,
            "deliveries_expected": self.deliveries_expected,
            "delivered": self.delivered,
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "unexpected": len(self.unexpected),
            "out_of_order": len(self.out_of_order),
            "dropped_connections": self.dropped_connections,
            "max_ack_seconds": round(self.max_ack_seconds, 3),
            "sends_per_second": round(self.throughput, 1),
        }


def _group(index: int) -> str:
    return f"group-{index // GROUP_SIZE}"


def _targets(body: dict[str, Any], sender: str, names: list[str], index: int) -> list[str]:
    """Who is entitled to a message: its recipients or its group's members, never its sender."""
    if "recipients" in body:
        targets = body["recipients"]
    else:
        start = index // GROUP_SIZE * GROUP_SIZE
        targets = names[start : start + GROUP_SIZE]
    return [t for t in targets if t != sender]


class Counters:
    """Counters shared by the controller and the worker processes."""

    NAMES = ("connected", "finished", "expected", "received")

    def __init__(self, ctx: Any) -> None:
        self._values: dict[str, Synchronized[int]] = {name: ctx.Value("q", 0) for name in self.NAMES}

    def add(self, name: str, amount: int) -> None:
        counter = self._values[name]
        with counter.get_lock():
            counter.value += amount

    def value(self, name: str) -> int:
        return int(self._values[name].value)


def worker_main(
    ws_url: str,
    agents: list[tuple[int, str, str, str]],
    names: list[str],
    seconds: float,
    interval: float,
    out_path: str,
    counters: Counters,
    go: Event,
    stop: Event,
) -> None:
    """One process's share of the agents: (index, id, name, token) each."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    asyncio.run(_worker(ws_url, agents, names, seconds, interval, Path(out_path), counters, go, stop))


async def _worker(
    ws_url: str,
    agents: list[tuple[int, str, str, str]],
    names: list[str],
    seconds: float,
    interval: float,
    out_path: Path,
    counters: Counters,
    go: Event,
    stop: Event,
) -> None:
    log: dict[str, Any] = {"sent": [], "received": defaultdict(list), "dropped": 0, "max_ack": 0.0}

    async def agent(index: int, agent_id: str, name: str, token: str) -> None:
        sock = await RawSocket.open(ws_url, agent_id, token, open_timeout=120, ping_timeout=None)
        await sock.request("agent:register", {"subscriptions": [_group(index)]}, timeout=120)
        counters.add("connected", 1)
        rng = random.Random(index)
        closed = asyncio.Event()

        async def receive() -> None:
            last = 0
            while True:
                frame = await sock.stream.get()
                if frame["type"] == "closed":
                    closed.set()
                    return
                if frame["type"] != "message:received":
                    continue
                log["received"][name].append((frame["seq"], frame["data"]["msg_id"]))
                counters.add("received", 1)
                last = frame["seq"]
                if sock.stream.empty():
                    await sock.send_frame("message:ack", {"seq": last})

        receiver = asyncio.create_task(receive())
        while not go.is_set():
            await asyncio.sleep(0.05)  # the start signal from the controller process
        deadline = time.monotonic() + seconds
        await asyncio.sleep(rng.random() * interval)  # spread the agents over the interval
        n = 0
        while time.monotonic() < deadline and not closed.is_set():
            msg_id = f"{name}-{n}"
            if rng.random() < 0.8:
                body: dict[str, Any] = {"recipients": [rng.choice(names)], "content": msg_id, "msg_id": msg_id}
            else:
                body = {"channel": _group(index), "content": msg_id, "msg_id": msg_id}
            started = time.monotonic()
            answer = await sock.request("message:send", body, timeout=60)
            log["max_ack"] = max(log["max_ack"], time.monotonic() - started)
            log["sent"].append({**body, "sender": name, "seq": answer["seq"]})
            counters.add("expected", len(_targets(body, name, names, index)))
            n += 1
            await asyncio.sleep(max(0.0, interval * (0.5 + rng.random())))
        counters.add("finished", 1)
        while not stop.is_set() and not closed.is_set():
            await asyncio.sleep(0.05)  # keep receiving until the controller has seen everything arrive
        if closed.is_set():
            log["dropped"] += 1
        receiver.cancel()
        await sock.close()

    await asyncio.gather(*(agent(*a) for a in agents))
    out_path.write_bytes(orjson.dumps(log))


def _wait(condition: Any, timeout: float, processes: list[Any], what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        if any(p.exitcode not in (None, 0) for p in processes):
            raise RuntimeError("a load worker failed")
        time.sleep(0.05)  # polling other processes' progress, with a deadline


def run(workdir: Path, agents: int, seconds: float, processes: int = 4, interval: float = 1.0) -> LoadResult:
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))  # the hub inherits it
    hub = HubProcess(workdir / "hub", env={"AGENTHUB_LOG_LEVEL": "warning"}).start()
    result = LoadResult(agents=agents, seconds=seconds)
    ctx = multiprocessing.get_context("spawn")
    counters = Counters(ctx)
    go, stop = ctx.Event(), ctx.Event()
    workers: list[Any] = []
    try:
        registered = []
        with hub.client() as http:
            for n in range(agents):
                body = http.post("/api/agents/register", json={"name": f"load{n}"}).json()
                registered.append((n, body["agent"]["id"], body["agent"]["name"], body["token"]))
        names = [name for _, _, name, _ in registered]
        for p in range(processes):
            share = registered[p::processes]
            args = (hub.ws_url, share, names, seconds, interval, str(workdir / f"load{p}.json"))
            workers.append(ctx.Process(target=worker_main, args=(*args, counters, go, stop), daemon=True))
        for worker in workers:
            worker.start()
        _wait(lambda: counters.value("connected") == agents, 180, workers, f"{agents} agents to connect")
        started = time.monotonic()
        go.set()
        _wait(lambda: counters.value("finished") == agents, seconds + 180, workers, "every agent to finish sending")
        sending = time.monotonic() - started
        _wait(
            lambda: counters.value("received") >= counters.value("expected"), 120, workers, "every delivery to arrive"
        )
        stop.set()
        for worker in workers:
            worker.join(120)
            if worker.exitcode != 0:
                raise RuntimeError(f"a load worker ended with {worker.exitcode}")
        _check(workdir, processes, names, result)
        result.throughput = result.sent / max(sending, 1e-9)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        hub.stop()
    return result


def _check(workdir: Path, processes: int, names: list[str], result: LoadResult) -> None:
    sent: list[dict[str, Any]] = []
    received: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for p in range(processes):
        log = orjson.loads((workdir / f"load{p}.json").read_bytes())
        sent += log["sent"]
        for name, frames in log["received"].items():
            received[name] += [tuple(f) for f in frames]
        result.dropped_connections += log["dropped"]
        result.max_ack_seconds = max(result.max_ack_seconds, log["max_ack"])
    result.sent = len(sent)
    index = {name: n for n, name in enumerate(names)}
    expected: dict[str, set[str]] = defaultdict(set)
    for m in sent:
        for target in _targets(m, m["sender"], names, index[m["sender"]]):
            expected[target].add(m["msg_id"])
    result.deliveries_expected = sum(len(v) for v in expected.values())
    for name in names:
        frames = received.get(name, [])
        result.delivered += len(frames)
        seqs = [seq for seq, _ in frames]
        if any(b <= a for a, b in itertools.pairwise(seqs)):
            result.out_of_order.append(name)
        got = [msg_id for _, msg_id in frames]
        if len(set(got)) != len(got):
            result.duplicated.append(name)
        result.unexpected += [f"{name} got {m}" for m in set(got) if m not in expected[name]]
        result.lost += [f"{name} never got {m}" for m in expected[name] - set(got)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between one agent's sends, on average")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agenthub-load-") as tmp:
        result = run(Path(tmp), args.agents, args.seconds, args.processes, args.interval)
    print(json.dumps(result.summary(), indent=2))
    if not result.ok:
        print(f"lost {result.lost[:5]} duplicated {result.duplicated[:5]} unexpected {result.unexpected[:5]}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
