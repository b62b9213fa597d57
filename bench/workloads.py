"""Load generators. Each runs inside worker processes (so the client side is not one Python core), speaks the
wire protocol with raw clients (no SDK overhead), and returns plain numbers."""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import orjson

from bench.rawws import Connecting, RawWebSocket, connect
from bench.resp import Redis, encode

Agent = tuple[str, str]  # (agent id, token)


def in_processes(target: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> list[Any]:
    """Run `target(*job)` for each job in its own process and collect the results."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(jobs)) as pool:
        return pool.starmap(target, jobs)


def _open(ws_base: str, agent: Agent) -> Connecting:
    return connect(f"{ws_base}/ws/{agent[0]}", {"Authorization": f"Bearer {agent[1]}"})


# -- publishing over the WebSocket -------------------------------------------------------------------------


def sdk_messages(channel: str) -> Iterator[str]:
    """Publish bodies as the SDK sends them: each with a `msg_id` of its own (by which the hub answers a resend
    with the original) that grows with each message, as the SDK's time-ordered ids do. All the same length."""
    prefix = uuid.uuid4().hex[:12]
    head, tail = orjson.dumps({"channel": channel, "content": "x" * 64, "msg_id": "@"}).decode().split("@")
    for number in itertools.count():
        yield f"{head}{prefix}-{number:012d}{tail}"


def sdk_publishes(channel: str, batch: int) -> Iterator[str]:
    """`message:send` frames as the SDK sends them: one message (`sdk_messages`), or `batch` in one frame."""
    messages = sdk_messages(channel)
    while True:
        items = ",".join(next(messages) for _ in range(batch))
        data = items if batch == 1 else f'{{"messages":[{items}]}}'
        yield f'{{"type":"message:send","id":"0","data":{data}}}'


async def _publish_conn(ws: RawWebSocket, window: int, batch: int, channel: str, stop_at: float) -> int:
    slots = asyncio.Semaphore(window)
    acked = 0
    frames = sdk_publishes(channel, batch)

    async def reader() -> None:
        nonlocal acked
        async for raw in ws:
            if raw.startswith('{"type":"ack"') or '"type":"ack"' in raw[:40]:
                if time.monotonic() < stop_at:
                    acked += batch
                slots.release()
            elif '"type":"error"' in raw[:40]:
                raise RuntimeError(raw[:300])

    task = asyncio.create_task(reader())
    while time.monotonic() < stop_at:
        await slots.acquire()
        await ws.send(next(frames))
    for _ in range(window):  # wait for what is in flight
        await asyncio.wait_for(slots.acquire(), 30)
    task.cancel()
    return acked


def ws_publish(ws_base: str, agents: list[Agent], window: int, batch: int, duration: float) -> int:
    """Keep `window` publish frames in flight on each connection for `duration` seconds; acked messages."""

    async def run() -> int:
        conns = [await _open(ws_base, agent) for agent in agents]
        for ws in conns:
            await ws.send(orjson.dumps({"type": "agent:register", "id": "r", "data": {}}).decode())
            await ws.recv()
        stop_at = time.monotonic() + duration
        counts = await asyncio.gather(*(_publish_conn(ws, window, batch, "bench", stop_at) for ws in conns))
        for ws in conns:
            await ws.close()
        return sum(counts)

    return asyncio.run(run())


# -- publishing over HTTP -----------------------------------------------------------------------------------


def http_publish(port: int, token: str, conns: int, duration: float) -> int:
    """`conns` keep-alive connections, each posting one message at a time as the SDK sends it (`sdk_messages`);
    acknowledged (201) posts."""
    messages = sdk_messages("bench-http")
    size = len(next(messages).encode())
    start = (
        b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: %d\r\n\r\n" % size
    )

    async def one(stop_at: float) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        done = 0
        while time.monotonic() < stop_at:
            writer.write(start + next(messages).encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 201"):
                done += 1
            else:
                raise RuntimeError(head.decode(errors="replace"))
        writer.close()
        return done

    async def run() -> int:
        stop_at = time.monotonic() + duration
        return sum(await asyncio.gather(*(one(stop_at) for _ in range(conns))))

    return asyncio.run(run())


# -- Redis XADD ---------------------------------------------------------------------------------------------


XADD_REPLY_LINES = 2  # `$<length>`, the entry id
PUBSUB_MESSAGE_LINES = 7  # `*3`, `$7`, `message`, `$<length>`, the channel, `$<length>`, the payload


def redis_xadd(port: int, conns: int, window: int, duration: float, batch: int = 1) -> int:
    """XADD with `window` commands in flight per connection (pipelined); acknowledged entries."""

    commands = encode("XADD", "bench", "*", "content", "x" * 64) * batch  # encoded once: the client costs little

    async def one(stop_at: float) -> int:
        redis = await Redis.connect(port)
        done = 0
        in_flight = 0
        while time.monotonic() < stop_at:
            while in_flight < window:
                redis.writer.write(commands)
                in_flight += 1
            await redis.writer.drain()
            await redis.skip_replies(batch, XADD_REPLY_LINES)
            in_flight -= 1
            done += batch
        await redis.skip_replies(in_flight * batch, XADD_REPLY_LINES)
        await redis.close()
        return done

    async def run() -> int:
        stop_at = time.monotonic() + duration
        return sum(await asyncio.gather(*(one(stop_at) for _ in range(conns))))

    return asyncio.run(run())


# -- fan-out -----------------------------------------------------------------------------------------------


def hub_subscribers(ws_base: str, agents: list[Agent], expect: int, ready: Any, timeout: float) -> list[float]:
    """Subscribe, signal readiness, then count `message:received` frames until `expect` each; returns each
    subscriber's finish time (time.monotonic, comparable across processes)."""

    async def one(agent: Agent) -> float:
        async with _open(ws_base, agent) as ws:
            await ws.send(
                orjson.dumps({"type": "agent:register", "id": "r", "data": {"subscriptions": ["fan"]}}).decode()
            )
            await ws.recv()
            ready.put(1)
            seen = 0
            async for raw in ws:
                if '"message:received"' in raw[:40]:
                    seen += 1
                    if seen == expect:
                        return time.monotonic()
        return float("nan")

    async def run() -> list[float]:
        return list(await asyncio.wait_for(asyncio.gather(*(one(a) for a in agents)), timeout))

    return asyncio.run(run())


def hub_fanout_publish(ws_base: str, agent: Agent, total: int, batch: int) -> float:
    """Publish `total` messages to the fan-out channel in batched frames; returns the start time."""

    async def run() -> float:
        async with _open(ws_base, agent) as ws:
            await ws.send(orjson.dumps({"type": "agent:register", "id": "r", "data": {}}).decode())
            await ws.recv()
            frames = sdk_publishes("fan", batch)
            started = time.monotonic()
            for _ in range(total // batch):
                await ws.send(next(frames))
            for _ in range(total // batch):
                await ws.recv()
            return started

    return asyncio.run(run())


def redis_subscribers(port: int, count: int, expect: int, ready: Any, timeout: float) -> list[float]:
    async def one() -> float:
        redis = await Redis.connect(port)
        await redis.call("SUBSCRIBE", "fan")
        ready.put(1)
        await redis.skip_replies(expect, PUBSUB_MESSAGE_LINES)
        finished = time.monotonic()
        await redis.close()
        return finished

    async def run() -> list[float]:
        return list(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), timeout))

    return asyncio.run(run())


def redis_fanout_publish(port: int, total: int, window: int) -> float:
    async def run() -> float:
        redis = await Redis.connect(port)
        started = time.monotonic()
        command = encode("PUBLISH", "fan", "x" * 64)
        for start in range(0, total, window):
            redis.writer.write(command * min(window, total - start))
            await redis.writer.drain()
            await redis.skip_replies(min(window, total - start), 1)
        await redis.close()
        return started

    return asyncio.run(run())


# -- latency -----------------------------------------------------------------------------------------------


def hub_latency_subscribers(
    ws_base: str, agents: list[Agent], channel: str, expect: int, ready: Any, timeout: float
) -> list[float]:
    """Receive `expect` messages each; returns latencies in ms (receive time minus the stamp in the content)."""

    async def one(agent: Agent) -> list[float]:
        latencies = []
        async with _open(ws_base, agent) as ws:
            await ws.send(
                orjson.dumps({"type": "agent:register", "id": "r", "data": {"subscriptions": [channel]}}).decode()
            )
            await ws.recv()
            ready.put(1)
            async for raw in ws:
                if '"message:received"' in raw[:40]:
                    now = time.monotonic_ns()
                    stamp = int(orjson.loads(raw)["data"]["content"])
                    latencies.append((now - stamp) / 1e6)
                    if len(latencies) == expect:
                        break
        return latencies

    async def run() -> list[float]:
        results = await asyncio.wait_for(asyncio.gather(*(one(a) for a in agents)), timeout)
        return [x for r in results for x in r]

    return asyncio.run(run())


def hub_latency_publish(ws_base: str, agent: Agent, channel: str, rate: int, total: int) -> None:
    async def run() -> None:
        async with _open(ws_base, agent) as ws:
            await ws.send(orjson.dumps({"type": "agent:register", "id": "r", "data": {}}).decode())
            await ws.recv()
            drain = asyncio.create_task(_discard(ws))
            prefix = uuid.uuid4().hex[:12]  # a msg_id for each, as the SDK gives it
            start = time.monotonic()
            for i in range(total):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = {"channel": channel, "content": str(time.monotonic_ns()), "msg_id": f"{prefix}-{i:012d}"}
                await ws.send(orjson.dumps({"type": "message:send", "id": str(i), "data": body}).decode())
            await asyncio.sleep(1)
            drain.cancel()

    asyncio.run(run())


async def _discard(ws: RawWebSocket) -> None:
    async for _ in ws:
        pass


def redis_latency_subscribers(
    port: int, channel: str, count: int, expect: int, ready: Any, mode: str, timeout: float
) -> list[float]:
    """Pub/sub subscribers, or stream readers (`XREAD BLOCK`, each its own consumer group) for `mode="stream"`."""

    async def one(n: int) -> list[float]:
        redis = await Redis.connect(port)
        latencies: list[float] = []
        if mode == "pubsub":
            await redis.call("SUBSCRIBE", channel)
            ready.put(1)
            while len(latencies) < expect:
                _, _, payload = await redis.reply()
                latencies.append((time.monotonic_ns() - int(payload)) / 1e6)
        else:
            group = f"g{n}"
            await redis.call("XGROUP", "CREATE", channel, group, "$", "MKSTREAM")
            ready.put(1)
            while len(latencies) < expect:
                reply = await redis.call(
                    "XREADGROUP", "GROUP", group, "c", "COUNT", 100, "BLOCK", 1000, "STREAMS", channel, ">"
                )
                if reply is None:
                    continue
                now = time.monotonic_ns()
                for _entry_id, fields in reply[0][1]:
                    latencies.append((now - int(fields[1])) / 1e6)
        await redis.close()
        return latencies

    async def run() -> list[float]:
        results = await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(count))), timeout)
        return [x for r in results for x in r]

    return asyncio.run(run())


def redis_latency_publish(port: int, channel: str, rate: int, total: int, mode: str) -> None:
    async def run() -> None:
        redis = await Redis.connect(port)
        start = time.monotonic()
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = str(time.monotonic_ns())
            if mode == "pubsub":
                await redis.call("PUBLISH", channel, stamp)
            else:
                await redis.call("XADD", channel, "*", "content", stamp)
        await redis.close()

    asyncio.run(run())


def completed_rate(results: list[tuple[list[Any], float, float]]) -> tuple[list[Any], float]:
    """Everything the worker processes completed, and the rate from the first start to the last finish."""
    done = [item for items, _, _ in results for item in items]
    elapsed = max(end for _, _, end in results) - min(start for _, start, _ in results)
    return done, len(done) / elapsed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- idle agents -------------------------------------------------------------------------------------------


def hold_idle(ws_base: str, agents: list[Agent], ready: Any, release: Any) -> int:
    """Open one registered connection per agent, one after another, and hold them until `release` is set; puts
    (connections held, seconds from the first connect to the last registration) on `ready`."""

    async def run() -> int:
        conns = []
        started = time.monotonic()
        for agent in agents:
            ws = await _open(ws_base, agent)
            await ws.send(orjson.dumps({"type": "agent:register", "id": "r", "data": {}}).decode())
            await ws.recv()
            conns.append(ws)
        readers = [asyncio.create_task(_discard(ws)) for ws in conns]  # an idle agent still reads presence events
        ready.put((len(conns), time.monotonic() - started))
        while not release.is_set():
            await asyncio.sleep(0.2)
        for ws in conns:
            await ws.close()
        for task in readers:
            task.cancel()
        return len(conns)

    return asyncio.run(run())


def _requester(ws: RawWebSocket) -> Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]:
    """One request at a time on a connection: send a frame, return its ack or error frame (events are skipped)."""
    ids = itertools.count()

    async def request(kind: str, data: dict[str, Any]) -> dict[str, Any]:
        request_id = str(next(ids))
        await ws.send(orjson.dumps({"type": kind, "id": request_id, "data": data}).decode())
        while True:
            frame: dict[str, Any] = orjson.loads(await ws.recv())
            if frame.get("id") == request_id:
                return frame

    return request


# -- tasks: claim + complete --------------------------------------------------------------------------------


def hub_create_tasks(ws_base: str, agent: Agent, total: int) -> None:
    """Queue `total` tasks (setup, not measured), pipelined over one connection."""

    async def run() -> None:
        async with _open(ws_base, agent) as ws:
            for start in range(0, total, 500):
                count = min(500, total - start)
                for i in range(count):
                    body = {"title": f"t{start + i}", "tags": ["bench"]}
                    await ws.send(orjson.dumps({"type": "task:create", "id": str(i), "data": body}).decode())
                answered = 0
                async for raw in ws:
                    if raw.startswith('{"type":"ack"') or raw.startswith('{"type":"error"'):
                        if '"type":"error"' in raw[:20]:
                            raise RuntimeError(raw[:300])
                        answered += 1
                        if answered == count:
                            break

    asyncio.run(run())


def hub_task_workers(ws_base: str, agents: list[Agent], duration: float) -> tuple[list[str], float, float]:
    """Each agent claims a task, then completes each one with its next claim (`complete` on `task:claim`, as
    the SDK's worker loop does), one task at a time, until none is left or time is up; returns the ids
    of the tasks completed (so the caller can check that no task was held twice) and when the work started and
    ended (`time.monotonic`, comparable across processes), so a queue that runs dry early still gives a rate."""

    async def worker(agent: Agent, stop_at: float) -> list[str]:
        done: list[str] = []
        async with _open(ws_base, agent) as ws:
            request = _requester(ws)

            async def ok(kind: str, data: dict[str, Any]) -> dict[str, Any]:
                frame = await request(kind, data)
                if frame["type"] == "error":
                    raise RuntimeError(frame["error"])
                result: dict[str, Any] = frame["data"]
                return result

            task = (await ok("task:claim", {"tags": ["bench"]}))["task"]
            while task is not None:
                body = {"task_id": task["id"], "lease_token": task["lease_token"], "result": {"ok": True}}
                if time.monotonic() >= stop_at:
                    await ok("task:complete", body)
                    done.append(task["id"])
                    break
                nxt = (await ok("task:claim", {"tags": ["bench"], "complete": body}))["task"]
                done.append(task["id"])
                task = nxt
        return done

    async def run() -> tuple[list[str], float, float]:
        started = time.monotonic()
        results = await asyncio.gather(*(worker(agent, started + duration) for agent in agents))
        return [task_id for r in results for task_id in r], started, time.monotonic()

    return asyncio.run(run())


def redis_task_workers(port: int, workers: int, duration: float, first: int) -> tuple[list[bytes], float, float]:
    """XREADGROUP + XACK: each consumer takes one entry at a time, and acknowledges it in the same round trip
    as it reads the next (pipelined, as the hub's workers complete with their next claim); returns the entries
    and when the work started and ended, as `hub_task_workers` does."""

    async def worker(n: int, stop_at: float) -> list[bytes]:
        redis = await Redis.connect(port)
        done: list[bytes] = []
        held: bytes | None = None
        while True:
            if held is not None:
                redis.send("XACK", "tasks", "workers", held)
            reading = time.monotonic() < stop_at
            if reading:
                redis.send("XREADGROUP", "GROUP", "workers", f"w{first + n}", "COUNT", 1, "STREAMS", "tasks", ">")
            await redis.writer.drain()
            if held is not None:
                await redis.reply()
                done.append(held)
            reply = await redis.reply() if reading else None
            held = reply[0][1][0][0] if reply else None
            if held is None:
                break
        await redis.close()
        return done

    async def run() -> tuple[list[bytes], float, float]:
        started = time.monotonic()
        results = await asyncio.gather(*(worker(n, started + duration) for n in range(workers)))
        return [entry for r in results for entry in r], started, time.monotonic()

    return asyncio.run(run())


def redis_create_tasks(port: int, total: int) -> None:
    """Queue `total` more tasks for the consumer group (made by the first call)."""

    async def run() -> None:
        redis = await Redis.connect(port)
        if not await redis.call("EXISTS", "tasks"):
            await redis.call("XGROUP", "CREATE", "tasks", "workers", "$", "MKSTREAM")
        for start in range(0, total, 500):
            count = min(500, total - start)
            for i in range(count):
                redis.send("XADD", "tasks", "*", "title", f"t{start + i}")
            await redis.writer.drain()
            for _ in range(count):
                await redis.reply()
        await redis.close()

    asyncio.run(run())


# -- memory: compare-and-set increments ---------------------------------------------------------------------


def hub_cas(ws_base: str, agents: list[Agent], duration: float) -> tuple[int, int]:
    """Each client increments one shared counter with compare-and-set, retrying on conflict with the value the
    refusal carries; returns (successful writes, conflicts)."""

    async def client(agent: Agent, stop_at: float) -> tuple[int, int]:
        wins = conflicts = 0
        async with _open(ws_base, agent) as ws:
            request = _requester(ws)
            current = (await request("memory:get", {"key": "bench/counter"}))["data"]
            value, version = current["value"], current["version"]
            while time.monotonic() < stop_at:
                frame = await request("memory:set", {"key": "bench/counter", "value": value + 1, "if_version": version})
                if frame["type"] == "ack":
                    wins += 1
                    value, version = frame["data"]["value"], frame["data"]["version"]
                    continue
                conflicts += 1  # the refusal carries the key as it is now: no read before the next try
                current = frame["error"]["details"]["current"]
                value, version = current["value"], current["version"]
        return wins, conflicts

    async def run() -> tuple[int, int]:
        stop_at = time.monotonic() + duration
        results = await asyncio.gather(*(client(agent, stop_at) for agent in agents))
        return sum(r[0] for r in results), sum(r[1] for r in results)

    return asyncio.run(run())


def redis_cas(port: int, clients: int, duration: float) -> tuple[int, int]:
    """WATCH / GET / MULTI / SET / EXEC increments of one key; returns (successful writes, conflicts)."""

    async def client(stop_at: float) -> tuple[int, int]:
        redis = await Redis.connect(port)
        wins = conflicts = 0
        while time.monotonic() < stop_at:
            await redis.call("WATCH", "counter")
            value = int(await redis.call("GET", "counter") or 0)
            await redis.call("MULTI")
            await redis.call("SET", "counter", value + 1)
            if await redis.call("EXEC") is None:
                conflicts += 1
            else:
                wins += 1
        await redis.close()
        return wins, conflicts

    async def run() -> tuple[int, int]:
        stop_at = time.monotonic() + duration
        results = await asyncio.gather(*(client(stop_at) for _ in range(clients)))
        return sum(r[0] for r in results), sum(r[1] for r in results)

    return asyncio.run(run())
