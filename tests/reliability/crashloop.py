"""Crash loop: publishers and subscribers keep working while the hub is SIGKILLed and restarted, many times.

Publisher processes send unique values with `msg_id` over the WebSocket (some one frame per message, some
in batches), a window of them in flight, and resend everything unacknowledged after any error: at-least-once
publishing, made exactly-once in storage by the hub's dedup. Subscriber processes receive the channel and
their direct messages, log each delivery, and acknowledge as they go. The controller kills the hub at a
random moment each cycle (after a random number of new acknowledgements), checks the database with
`PRAGMA integrity_check`, and restarts the hub on the same database and port. After the last cycle the
publishers finish what they had in flight, the subscribers drain up to the last seq they are entitled to,
and `checker.check` judges the whole history.

    python -m tests.reliability.crashloop --cycles 50       # the soak; prints a JSON summary
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.sharedctypes import Synchronized, SynchronizedArray
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, TextIO

import orjson
from websockets.exceptions import WebSocketException

from tests.hubproc import HubProcess
from tests.reliability.checker import Cursor, Delivery, Publish, Report, check
from tests.wsclient import RawSocket

CHANNEL = "history"
FAULTS = (OSError, ConnectionError, TimeoutError, WebSocketException)


@dataclass
class Config:
    cycles: int = 3
    publishers: int = 3
    subscribers: int = 3
    min_acks: int = 150  # acknowledgements between two kills, at least ...
    max_acks: int = 900  # ... and at most
    window: int = 32  # values in flight per publisher
    seed: int = 1


@dataclass
class Outcome:
    config: Config
    report: Report
    integrity: list[str] = field(default_factory=list)  # PRAGMA integrity_check after each kill, then at the end
    kills: int = 0
    restarts: list[float] = field(default_factory=list)  # seconds from SIGKILL to a healthy hub
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.report.ok and all(result == "ok" for result in self.integrity) and self.kills == self.config.cycles

    def summary(self) -> dict[str, Any]:
        return {
            **self.report.summary(),
            "kills": self.kills,
            "integrity_checks": len(self.integrity),
            "integrity_failures": sum(1 for r in self.integrity if r != "ok"),
            "restart_seconds_max": round(max(self.restarts, default=0.0), 2),
            "restart_seconds_mean": round(sum(self.restarts) / max(1, len(self.restarts)), 2),
            "seconds": round(self.seconds, 1),
            "config": asdict(self.config),
        }


# -- the clients, each in its own process ------------------------------------------------------------------


async def _connect(ws_url: str, agent_id: str, token: str) -> RawSocket:
    """Connect, retrying while the hub is down or restarting (a readiness poll of another process)."""
    while True:
        try:
            return await asyncio.wait_for(RawSocket.open(ws_url, agent_id, token), 5)
        except FAULTS:
            await asyncio.sleep(0.05)


def _line(out: TextIO, record: dict[str, Any]) -> None:
    out.write(orjson.dumps(record).decode() + "\n")
    out.flush()


def publisher_main(
    ws_url: str,
    agent_id: str,
    token: str,
    index: int,
    subscribers: list[str],
    log_path: str,
    stop: Event,
    acked: Synchronized[int],
    window: int,
) -> None:
    asyncio.run(_publisher(ws_url, agent_id, token, index, subscribers, Path(log_path), stop, acked, window))


async def _publisher(
    ws_url: str,
    agent_id: str,
    token: str,
    index: int,
    subscribers: list[str],
    log_path: Path,
    stop: Event,
    acked: Synchronized[int],
    window: int,
) -> None:
    rng = random.Random(index)
    batched = index % 2 == 1
    pending: dict[int, dict[str, Any]] = {}  # value -> body, in send order, until acknowledged
    next_value = 0
    with log_path.open("a") as out:
        while not (stop.is_set() and not pending):
            sock = await _connect(ws_url, agent_id, token)
            in_flight: dict[asyncio.Future[dict[str, Any]], list[int]] = {}

            async def send(values: list[int], sock: RawSocket = sock, in_flight: Any = in_flight) -> None:
                if batched:
                    frame = {"messages": [pending[v] for v in values]}
                else:
                    [value] = values
                    frame = pending[value]
                in_flight[await sock.send_frame("message:send", frame)] = values

            try:
                unsent = list(pending)  # resend everything unacknowledged, in order
                while unsent:
                    size = rng.randint(1, 8) if batched else 1
                    await send(unsent[:size])
                    unsent = unsent[size:]
                while True:
                    while not stop.is_set() and len(pending) < window:
                        size = rng.randint(1, 8) if batched else 1
                        values = []
                        for _ in range(size):
                            msg_id = f"p{index}-{next_value}"
                            to = subscribers[next_value // 3 % len(subscribers)] if next_value % 3 == 0 else None
                            body: dict[str, Any] = {"content": msg_id, "msg_id": msg_id}
                            body.update({"recipients": [to]} if to else {"channel": CHANNEL})
                            pending[next_value] = body
                            _line(out, {"v": next_value, "msg_id": msg_id, "to": to})
                            values.append(next_value)
                            next_value += 1
                        await send(values)
                    if not in_flight:
                        break
                    done, _ = await asyncio.wait(in_flight, timeout=2, return_when=asyncio.FIRST_COMPLETED)
                    for future in done:
                        values = in_flight.pop(future)
                        frame = future.result()  # a ConnectionError when the hub went away
                        if frame["type"] == "error":  # refused (say, rate limited): back off and send again
                            retry = (frame["error"].get("details") or {}).get("retry_after", 0.05)
                            await asyncio.sleep(float(retry))
                            await send(values)
                            continue
                        data = frame["data"]
                        answers = data["messages"] if batched else [data]
                        for value, answer in zip(values, answers, strict=True):
                            _line(out, {"v": value, "msg_id": pending.pop(value)["msg_id"], "seq": answer["seq"]})
                        with acked.get_lock():
                            acked.value += len(values)
            except FAULTS:
                pass
            finally:
                for future in in_flight:  # their values stay pending and are sent again
                    future.add_done_callback(_quiet)
                with contextlib.suppress(*FAULTS):
                    await sock.close()


def _quiet(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def subscriber_main(
    ws_url: str, agent_id: str, token: str, name: str, log_path: str, targets: SynchronizedArray[int], index: int
) -> None:
    asyncio.run(_subscriber(ws_url, agent_id, token, Path(log_path), targets, index))


async def _subscriber(
    ws_url: str, agent_id: str, token: str, log_path: Path, targets: SynchronizedArray[int], index: int
) -> None:
    session = 0
    last = 0
    with log_path.open("a") as out:

        def confirmed(future: asyncio.Future[dict[str, Any]], session: int) -> None:
            if not future.cancelled() and future.exception() is None and future.result()["type"] == "ack":
                _line(out, {"session": session, "cursor": future.result()["data"]["cursor"]})

        while True:
            sock = await _connect(ws_url, agent_id, token)
            session += 1
            try:
                answer = await asyncio.wait_for(await sock.send_frame("agent:register", {}), 10)
                if answer["type"] != "ack":
                    continue
                unacked = 0
                while True:
                    target = targets[index]
                    if target >= 0 and last >= target:
                        final = await asyncio.wait_for(await sock.send_frame("message:ack", {"seq": last}), 10)
                        confirmed(_done(final), session)
                        return
                    try:
                        frame = await sock.next_stream(timeout=0.5)
                    except TimeoutError:
                        continue
                    if frame["type"] == "closed":
                        break
                    if frame["type"] != "message:received":
                        continue
                    last = frame["seq"]
                    _line(out, {"session": session, "seq": last, "msg_id": frame["data"]["msg_id"]})
                    unacked += 1
                    if unacked >= 25 or sock.stream.empty():
                        unacked = 0
                        ack = await sock.send_frame("message:ack", {"seq": last})
                        ack.add_done_callback(lambda f, s=session: confirmed(f, s))
            except FAULTS:
                pass
            finally:
                with contextlib.suppress(*FAULTS):
                    await sock.close()


def _done(frame: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
    future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    future.set_result(frame)
    return future


# -- the controller --------------------------------------------------------------------------------------------


def integrity(db_path: Path) -> str:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return "; ".join(str(row[0]) for row in db.execute("PRAGMA integrity_check"))


def _wait_for(condition: Any, what: str, timeout: float, processes: list[Any]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        dead = [p for p in processes if p.exitcode not in (None, 0)]
        if dead:
            raise RuntimeError(f"a client process failed: {dead}")
        time.sleep(0.02)  # polling the state of other processes, with a deadline


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if path.exists():
        for line in path.read_text().splitlines():
            if line:
                yield orjson.loads(line)


def run(workdir: Path, config: Config) -> Outcome:
    started = time.monotonic()
    rng = random.Random(config.seed)
    hub = HubProcess(workdir / "hub").start()
    outcome = Outcome(config, Report())
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    acked: Synchronized[int] = ctx.Value("q", 0)  # type: ignore[assignment]
    targets: SynchronizedArray[int] = ctx.Array("q", [-1] * config.subscribers)  # type: ignore[assignment]
    processes: list[Any] = []
    try:
        subscribers = []
        for n in range(config.subscribers):
            agent, token = hub.register(f"sub{n}")
            with hub.client(token) as http:
                http.post(f"/api/channels/{CHANNEL}/subscribe").raise_for_status()
            subscribers.append((agent, token))
        names = [agent["name"] for agent, _ in subscribers]
        for n, (agent, token) in enumerate(subscribers):
            args = (hub.ws_url, agent["id"], token, agent["name"], str(workdir / f"sub{n}.jsonl"), targets, n)
            processes.append(ctx.Process(target=subscriber_main, args=args, daemon=True))
        publishers = []
        for n in range(config.publishers):
            agent, token = hub.register(f"pub{n}")
            args = (
                hub.ws_url,
                agent["id"],
                token,
                n,
                names,
                str(workdir / f"pub{n}.jsonl"),
                stop,
                acked,
                config.window,
            )
            publishers.append(ctx.Process(target=publisher_main, args=args, daemon=True))
        processes += publishers
        for process in processes:
            process.start()

        db_path = hub.data_dir / "agenthub.db"
        for _ in range(config.cycles + 1):
            goal = acked.value + rng.randint(config.min_acks, config.max_acks)
            _wait_for(lambda goal=goal: acked.value >= goal, f"{goal} acknowledgements", 60, processes)
            if outcome.kills == config.cycles:
                break  # a last stretch of traffic on the final hub
            killed = time.monotonic()
            hub.kill()
            outcome.kills += 1
            outcome.integrity.append(integrity(db_path))
            hub.start(timeout=90)
            outcome.restarts.append(time.monotonic() - killed)

        stop.set()
        for process in publishers:
            process.join(60)
            if process.exitcode != 0:
                raise RuntimeError(f"publisher ended with {process.exitcode}")
        publishes = _publishes(workdir, config.publishers)
        for n, name in enumerate(names):
            entitled = [p.seq for p in publishes if p.seq is not None and p.to in (None, name)]
            targets[n] = max(entitled, default=0)
        for process in processes:
            process.join(60)
            if process.exitcode != 0:
                raise RuntimeError(f"subscriber ended with {process.exitcode}")
        stored: dict[str, list[int]] = {}
        with contextlib.closing(sqlite3.connect(db_path)) as db:
            for msg_id, seq in db.execute("SELECT msg_id, seq FROM messages WHERE msg_id IS NOT NULL"):
                stored.setdefault(msg_id, []).append(seq)
        logs = {name: list(_subscriber_log(workdir / f"sub{n}.jsonl")) for n, name in enumerate(names)}
        outcome.report = check(publishes, logs, stored)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
        if hub.proc is not None:
            hub.stop()
    outcome.integrity.append(integrity(hub.data_dir / "agenthub.db"))
    outcome.seconds = time.monotonic() - started
    return outcome


def _publishes(workdir: Path, count: int) -> list[Publish]:
    found: list[Publish] = []
    for n in range(count):
        sent: dict[int, dict[str, Any]] = {}
        for record in _records(workdir / f"pub{n}.jsonl"):
            sent.setdefault(record["v"], {}).update(record)
        found += [Publish(f"pub{n}", v, r["msg_id"], r.get("to"), r.get("seq")) for v, r in sent.items()]
    return found


def _subscriber_log(path: Path) -> Iterator[Delivery | Cursor]:
    for record in _records(path):
        if "cursor" in record:
            yield Cursor(record["session"], record["cursor"])
        else:
            yield Delivery(record["session"], record["seq"], record["msg_id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--publishers", type=int, default=Config.publishers)
    parser.add_argument("--subscribers", type=int, default=Config.subscribers)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--workdir", type=Path, default=None, help="keep the logs and database here")
    args = parser.parse_args(argv)
    config = Config(cycles=args.cycles, publishers=args.publishers, subscribers=args.subscribers, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="agenthub-crashloop-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        outcome = run(workdir, config)
    print(json.dumps(outcome.summary(), indent=2))
    if not outcome.ok:
        print(outcome.report.describe(), file=sys.stderr)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
