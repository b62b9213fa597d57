"""WebSocket fuzzing: several connections send random and malformed frames at once; each frame gets its answer
(an `ack` or an `error`, never an internal error) or a clean close, and a control client is served throughout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import string
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.hubproc import HubProcess
from tests.wsclient import RawSocket

EVENTS = [
    "agent:register",
    "agent:heartbeat",
    "message:send",
    "message:ack",
    "message:read",
    "channel:subscribe",
    "channel:unsubscribe",
    "task:create",
    "task:assign",
    "task:claim",
    "task:update",
    "memory:set",
    "memory:get",
    "memory:watch",
]
FIELDS = [
    "channel", "content", "recipients", "seq", "since", "subscriptions", "messages", "message_id", "metadata",
    "msg_id", "title", "scope", "key", "value", "prefix", "if_version", "task_id", "lease_token", "status",
    "tags", "agent_id", "priority", "result", "error", "ttl_seconds", "message_type", "thread_id",
]  # fmt: skip
CONNECTIONS = 6
FRAMES = 150
FRAME_LIMIT = 64 * 1024
CONTROL_ROUNDS = 10  # the fuzzers go on until the control client was served this many times meanwhile


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(14 if depth < 2 else 10)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, 2**63, 2**64 + 5, -(2**63) - 1, 10**30])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e308, 3.0])
    if kind == 4:
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(12)))
    if kind == 5:
        return rng.choice(["general", "a/b/*", "*", "", "UPPER", "-x", "a" * 200, "\x00", "é", "../etc"])
    if kind == 6:
        return "x" * rng.choice([0, 1, 1000, 40_000])
    if kind == 7:
        return rng.choice(["text", "coordination", "nope", "exclusive", "pending", "completed"])
    if kind == 8:
        return rng.randrange(-5, 50)
    if kind == 9:
        return str(rng.randrange(10**6))
    if kind in (10, 11):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(FIELDS): _value(rng, depth + 1) for _ in range(rng.randrange(4))}


def _frame(rng: random.Random, request_id: str) -> tuple[str | bytes, bool]:
    """A random frame, and whether it carries `request_id` (so its answer can be matched)."""
    kind = rng.randrange(10)
    if kind == 0:
        return rng.choice(["{", "nul", '{"type":', "[1,2", '"\\ud800"', "{}}", "\x00"]), False  # bad JSON
    if kind == 1:
        return json.dumps(rng.choice([[], 1, "s", None, {"type": 5}, {"data": {}}, {"type": None}])), False
    if kind == 2:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), False  # binary
    if kind == 3:
        return '{"type":"agent:heartbeat","data":{"pad":"' + "x" * (FRAME_LIMIT + 10) + '"}}', False  # over the limit
    body: dict[str, Any] = {"type": rng.choice(EVENTS) if kind > 4 else f"no:such{rng.randrange(9)}", "id": request_id}
    if kind == 9:
        body["data"] = _value(rng)  # often not an object
    else:
        body["data"] = {rng.choice(FIELDS): _value(rng) for _ in range(rng.randrange(5))}
        if body["type"] == "message:send" and rng.random() < 0.5:
            body["data"]["messages"] = [
                {rng.choice(FIELDS): _value(rng) for _ in range(3)} for _ in range(rng.randrange(3))
            ]
    return json.dumps(body), True  # the standard encoder: it writes integers of any size


async def _fuzz(ws_url: str, agent: dict[str, Any], token: str, seed: int, more: Callable[[], bool]) -> dict[str, Any]:
    """Send at least FRAMES frames, and more while `more()` says so (at most 10 times as many)."""
    rng = random.Random(seed)
    answers: dict[str, dict[str, Any]] = {}
    anonymous_errors: list[dict[str, Any]] = []
    internal: list[dict[str, Any]] = []
    async with connect(
        f"{ws_url}/ws/{agent['id']}", additional_headers={"Authorization": f"Bearer {token}"}, max_size=None
    ) as ws:

        async def read(ws: ClientConnection) -> None:
            async for raw in ws:
                frame = orjson.loads(raw)
                if frame["type"] == "error" and frame["error"]["code"] == "internal_error":
                    internal.append(frame)
                if frame["type"] in ("ack", "error") and "id" in frame:
                    answers[str(frame["id"])] = frame
                elif frame["type"] == "error":
                    anonymous_errors.append(frame)

        reader = asyncio.create_task(read(ws))
        expected: dict[str, str | bytes] = {}
        malformed = 0
        for n in range(FRAMES * 10):
            if n >= FRAMES and not more():
                break
            frame, matched = _frame(rng, f"f{seed}-{n}")
            if matched and len(frame) <= FRAME_LIMIT:
                expected[f"f{seed}-{n}"] = frame
            else:
                malformed += 1
            await ws.send(frame)
            if n % 25 == 0:
                await asyncio.sleep(0)  # let the reader keep up
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while (len(anonymous_errors) < malformed or any(i not in answers for i in expected)) and not reader.done():
            missing = [str(frame)[:300] for i, frame in expected.items() if i not in answers]
            assert loop.time() < deadline, f"never answered: {missing[:3]}"
            await asyncio.sleep(0.02)  # waiting for frames from the hub, with a deadline
        reader.cancel()
    return {
        "answered": sum(1 for i in expected if i in answers),
        "expected": len(expected),
        "anonymous_errors": len(anonymous_errors),
        "malformed": malformed,
        "internal": internal,
    }


def control_main(
    url: str,
    ws_url: str,
    token: str,
    agent_id: str,
    ready: Event,
    stop: Event,
    rounds: Synchronized[int],
    out: Connection,
) -> None:
    """A well-behaved client in its own process: publishes over its WebSocket and reads over HTTP, timing each
    round, until told to stop; sends back the list of round times."""
    out.send(asyncio.run(_control(url, ws_url, token, agent_id, ready, stop, rounds)))


async def _control(
    url: str, ws_url: str, token: str, agent_id: str, ready: Event, stop: Event, rounds: Synchronized[int]
) -> list[float]:
    sock = await RawSocket.open(ws_url, agent_id, token)
    await sock.request("agent:register", {})
    waits: list[float] = []
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        ready.set()
        n = 0
        while not stop.is_set():
            started = loop.time()
            ack = await sock.request("message:send", {"channel": "control", "content": str(n)}, timeout=10)
            assert ack["seq"] > 0
            assert (await http.get("/health", timeout=10)).status_code == 200
            waits.append(loop.time() - started)
            rounds.value += 1
            n += 1
    await sock.close()
    return waits


def test_random_and_malformed_frames_from_many_connections_are_answered_and_the_hub_keeps_serving(
    tmp_path: Path,
) -> None:
    env = {"AGENTHUB_MAX_FRAME_BYTES": str(FRAME_LIMIT)}
    hub = HubProcess(tmp_path / "hub", env=env).start()
    try:
        fuzzers = [hub.register(f"fuzzer{n}") for n in range(CONNECTIONS)]
        control, control_token = hub.register("control")

        ctx = multiprocessing.get_context("spawn")
        ready, stop = ctx.Event(), ctx.Event()
        receive, send = ctx.Pipe(duplex=False)
        rounds: Synchronized[int] = ctx.Value("q", 0)  # type: ignore[assignment]
        args = (hub.url, hub.ws_url, control_token, control["id"], ready, stop, rounds, send)
        controller = ctx.Process(target=control_main, args=args)
        controller.start()
        assert ready.wait(60)

        async def scenario() -> list[dict[str, Any]]:
            return await asyncio.gather(
                *(
                    _fuzz(hub.ws_url, agent, token, seed, lambda: rounds.value < CONTROL_ROUNDS)
                    for seed, (agent, token) in enumerate(fuzzers)
                )
            )

        results = asyncio.run(scenario())
        stop.set()
        assert receive.poll(60)
        waits = receive.recv()
        controller.join(30)
        for result in results:
            assert result["internal"] == []
            assert result["answered"] == result["expected"]
            assert result["anonymous_errors"] == result["malformed"]
        assert all(r["expected"] + r["malformed"] >= FRAMES for r in results)
        assert len(waits) >= CONTROL_ROUNDS and max(waits) < 5, f"the control client was kept waiting: {waits}"
        assert "Traceback" not in hub.log_path.read_text()
    finally:
        hub.stop()


def test_a_frame_far_past_the_limit_gets_a_clean_close_and_others_are_unaffected(hub: HubProcess) -> None:
    agent, token = hub.register("huge")
    other, other_token = hub.register("bystander")

    async def scenario() -> None:
        bystander = await RawSocket.open(hub.ws_url, other["id"], other_token)
        async with connect(
            f"{hub.ws_url}/ws/{agent['id']}", additional_headers={"Authorization": f"Bearer {token}"}, max_size=None
        ) as ws:
            with contextlib.suppress(ConnectionClosed, ConnectionResetError):  # the hub may close mid-send
                await ws.send("x" * (5 * 1024 * 1024))
            try:
                async for _ in ws:
                    pass
            except ConnectionClosed:
                pass
            assert ws.close_code == 1009  # message too big: a clean close with its code
        assert (await bystander.request("agent:heartbeat", {}))["status"] == "online"
        await bystander.close()

    asyncio.run(scenario())


def test_a_cursor_or_since_past_the_last_message_is_clamped_and_huge_numbers_are_refused(
    shared_hub: HubProcess, unique: str
) -> None:
    reader, token = shared_hub.register(f"reader-{unique}")
    _, sender_token = shared_hub.register(f"sender-{unique}")
    with shared_hub.client(sender_token) as http:
        first = http.post("/api/messages", json={"recipients": [reader["id"]], "content": "one"}).json()
    with shared_hub.client(token) as http:
        assert http.get("/api/messages", params={"since": 2**63}).json()["error"]["code"] == "invalid_field"
        assert http.post("/api/inbox/ack", json={"seq": 2**64}).status_code == 422
        cursor = http.post("/api/inbox/ack", json={"seq": 10**15}).json()["cursor"]
        assert first["seq"] <= cursor < 10**15  # never past the last message

    async def scenario() -> None:
        sock = await RawSocket.open(shared_hub.ws_url, reader["id"], token)
        ack = await sock.request("message:ack", {"seq": 2**64 - 1})
        assert first["seq"] <= ack["cursor"] < 2**63
        answer = await sock.request("agent:register", {"since": 2**64 - 1})
        assert first["seq"] <= answer["replayed_to"] < 2**63
        with shared_hub.client(sender_token) as http:  # what comes next is not swallowed
            later = http.post("/api/messages", json={"recipients": [reader["id"]], "content": "two"}).json()
        frame = await sock.next_stream()
        assert (frame["seq"], frame["data"]["content"]) == (later["seq"], "two")
        await sock.close()

    asyncio.run(scenario())
