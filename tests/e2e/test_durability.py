"""Acknowledged means durable: SIGKILL right after acknowledgements loses nothing; clean SIGTERM shutdown."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

from tests.hubproc import HubProcess
from tests.wsclient import RawSocket

PUBLISHERS = 4
KILL_AFTER = 1500


async def _publish_until_killed(hub: HubProcess) -> dict[str, int]:
    """Publishers send single-message frames as fast as the hub acknowledges them; the hub is killed with
    SIGKILL the moment KILL_AFTER acknowledgements have arrived. Returns every acknowledged id -> seq."""
    sockets = []
    for n in range(PUBLISHERS):
        agent, token = hub.register(f"pub{n}")
        sockets.append(await RawSocket.open(hub.ws_url, agent["id"], token))
    acked: dict[str, int] = {}
    killed = asyncio.Event()

    async def publisher(sock: RawSocket, n: int) -> None:
        in_flight: set[asyncio.Future[dict[str, object]]] = set()
        i = 0
        while not killed.is_set():
            while len(in_flight) < 64 and not killed.is_set():
                body = {"channel": "durable", "content": f"p{n}-{i}", "msg_id": f"p{n}-{i}"}
                try:
                    in_flight.add(await sock.send_frame("message:send", body))
                except Exception:
                    return
                i += 1
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                if future.exception() is not None:
                    return
                frame = future.result()
                if frame["type"] == "ack" and not killed.is_set():
                    data = frame["data"]
                    assert isinstance(data, dict)
                    acked[str(data["id"])] = int(data["seq"])
                    if len(acked) >= KILL_AFTER:
                        assert hub.proc is not None
                        hub.proc.send_signal(signal.SIGKILL)  # right after this acknowledgement
                        killed.set()

    await asyncio.wait_for(asyncio.gather(*(publisher(s, n) for n, s in enumerate(sockets))), 60)
    for sock in sockets:
        await sock.close()
    return acked


def test_sigkill_right_after_acknowledged_publishes_loses_none(hub: HubProcess) -> None:
    acked = asyncio.run(_publish_until_killed(hub))
    assert hub.proc is not None
    assert hub.proc.wait(10) == -signal.SIGKILL
    hub.proc = None
    assert len(acked) >= KILL_AFTER

    with sqlite3.connect(hub.data_dir / "agenthub.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    hub.start()
    with hub.client() as http:
        stored: dict[str, int] = {}
        since = 0
        while True:
            page = http.get("/api/messages", params={"channel": "durable", "since": since, "limit": 1000}).json()
            stored.update({m["id"]: m["seq"] for m in page})
            if len(page) < 1000:
                break
            since = page[-1]["seq"]
    missing = {message_id for message_id in acked if message_id not in stored}
    assert missing == set()
    assert all(stored[message_id] == seq for message_id, seq in acked.items())


def test_sigterm_shuts_down_cleanly(hub: HubProcess) -> None:
    _, token = hub.register("bye")
    with hub.client(token) as http:
        assert http.post("/api/messages", json={"channel": "bye", "content": "x"}).status_code == 201
    assert hub.stop(signal.SIGTERM) == 0
    with sqlite3.connect(hub.data_dir / "agenthub.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM messages WHERE channel = 'bye'").fetchone() == (1,)
