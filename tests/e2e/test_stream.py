"""The durable stream: the offline queue, resuming with `since` under load, the slow-consumer policy."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import random
from typing import Any

import httpx
import orjson
from websockets.exceptions import ConnectionClosedError

from tests.hubproc import HubProcess
from tests.wsclient import RawSocket


async def _drain(sock: RawSocket, count: int, timeout: float = 10) -> list[dict[str, Any]]:
    return [await sock.next_stream(timeout) for _ in range(count)]


def test_offline_agent_gets_exactly_what_it_did_not_acknowledge_even_across_a_restart(hub: HubProcess) -> None:
    sender, sender_token = hub.register("sender")
    reader, reader_token = hub.register("reader")

    async def first_session() -> int:
        sock = await RawSocket.open(hub.ws_url, reader["id"], reader_token)
        await sock.request("agent:register", {"subscriptions": ["team"]})
        with hub.client(sender_token) as http:
            http.post("/api/messages", json={"channel": "team", "content": "seen and acked"})
        [frame] = await _drain(sock, 1)
        await sock.request("message:ack", {"seq": frame["seq"]})
        await sock.close()
        return int(frame["seq"])

    acked = asyncio.run(first_session())
    with hub.client(sender_token) as http:
        for i in range(3):
            http.post("/api/messages", json={"recipients": ["reader"], "content": f"direct {i}"})
            http.post("/api/messages", json={"channel": "team", "content": f"team {i}"})
            http.post("/api/messages", json={"channel": "elsewhere", "content": "not subscribed"})
    hub.restart()

    async def second_session() -> list[dict[str, Any]]:
        sock = await RawSocket.open(hub.ws_url, reader["id"], reader_token)
        answer = await sock.request("agent:register", {})
        frames = await _drain(sock, 6)
        assert answer["replayed_to"] == frames[-1]["seq"]
        await sock.close()
        return frames

    frames = asyncio.run(second_session())
    assert [f["data"]["content"] for f in frames] == [
        "direct 0",
        "team 0",
        "direct 1",
        "team 1",
        "direct 2",
        "team 2",
    ]
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(seqs) and seqs[0] > acked
    assert all(f["type"] == "message:received" and f["data"]["sender_id"] == sender["id"] for f in frames)


def _publish(url: str, token: str, channel: str, total: int) -> None:
    """A separate publisher process: small batches, steadily, until `total` are stored."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        for start in range(0, total, 10):
            batch = [{"channel": channel, "content": str(i), "msg_id": f"m{i}"} for i in range(start, start + 10)]
            assert http.post("/api/messages/batch", json={"messages": batch}).status_code == 201


def test_resume_with_since_while_publishers_keep_sending(hub: HubProcess) -> None:
    total = 3000
    _, pub_token = hub.register("steady-publisher")
    reader, reader_token = hub.register("hopping-reader")

    async def read_with_reconnects() -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        sock = await RawSocket.open(hub.ws_url, reader["id"], reader_token)
        await sock.request("agent:register", {"subscriptions": ["firehose"]})
        publisher = multiprocessing.get_context("spawn").Process(
            target=_publish, args=(hub.url, pub_token, "firehose", total)
        )
        publisher.start()
        rng = random.Random(7)
        try:
            while len(received) < total:
                for _ in range(rng.randint(50, 400)):
                    if len(received) == total:
                        break
                    frame = await sock.next_stream(30)
                    received.append(frame)
                # Drop the connection without acknowledging, and resume from the last seq seen.
                await sock.close()
                sock = await RawSocket.open(hub.ws_url, reader["id"], reader_token)
                await sock.request("agent:register", {"since": received[-1]["seq"]})
        finally:
            await sock.close()
            publisher.join(60)
        assert publisher.exitcode == 0
        return received

    received = asyncio.run(read_with_reconnects())
    seqs = [f["seq"] for f in received]
    assert seqs == sorted(set(seqs)), "out of order or duplicated"
    assert [int(f["data"]["content"]) for f in received] == list(range(total)), "a gap or a stranger"


def test_slow_consumer_is_closed_with_a_reason_and_resumes_from_seq(tmp_path: Any) -> None:
    hub = HubProcess(tmp_path / "hub", env={"AGENTHUB_SEND_BUFFER_FRAMES": "20"}).start()
    try:
        _, pub_token = hub.register("fast")
        slow, slow_token = hub.register("slow")
        total = 400
        blob = "x" * 20_000

        async def scenario() -> None:
            sock = await RawSocket.open(hub.ws_url, slow["id"], slow_token, max_queue=1)
            await sock.request("agent:register", {"subscriptions": ["flood"]})
            sock._reader.cancel()  # stop reading: the hub's socket buffer fills, then its outbox
            async with httpx.AsyncClient(base_url=hub.url, headers={"Authorization": f"Bearer {pub_token}"}) as http:
                for start in range(0, total, 50):
                    batch = [{"channel": "flood", "content": f"{i} {blob}"} for i in range(start, start + 50)]
                    assert (await http.post("/api/messages/batch", json={"messages": batch})).status_code == 201
            seen: list[int] = []
            contents: list[int] = []
            with contextlib.suppress(ConnectionClosedError):
                async for raw in sock.ws:  # now read what was sent before the close
                    frame = orjson.loads(raw)
                    seen.append(frame["seq"])
                    contents.append(int(frame["data"]["content"].split()[0]))
            assert sock.ws.close_code == 1013
            assert sock.ws.close_reason == "slow consumer: reconnect with since=<the last seq you received>"
            # The publisher was never slowed down, and nothing is lost: resume from the last seq received.
            sock = await RawSocket.open(hub.ws_url, slow["id"], slow_token)
            await sock.request("agent:register", {"since": seen[-1] if seen else 0})
            rest = await _drain(sock, total - len(seen))
            await sock.close()
            contents += [int(f["data"]["content"].split()[0]) for f in rest]
            assert contents == list(range(total))

        asyncio.run(scenario())
    finally:
        hub.stop()
