"""Acknowledged means durable: SIGKILL right after acknowledgements loses nothing; clean SIGTERM shutdown; a
database file removed under the hub stops every acknowledgement."""

from __future__ import annotations

import asyncio
import resource
import signal
import sqlite3
import time

import httpx
import pytest

from agenthub.client import AgentClient, Client, MessageAck
from agenthub.errors import StorageUnavailable
from tests.e2e.clihelp import cli
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


def _remove_the_database(hub: HubProcess) -> httpx.Response:
    """Remove the hub's database files, as `rm -rf` of its data dir would (the log aside); the `/health` answer
    once the hub has noticed (it looks once a second), or after 10 s."""
    for path in hub.data_dir.glob("agenthub.db*"):
        path.unlink()
    deadline = time.monotonic() + 10
    while (health := httpx.get(f"{hub.url}/health")).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    return health


async def _ws_publish(hub: HubProcess, agent_id: str, token: str) -> dict[str, object]:
    sock = await RawSocket.open(hub.ws_url, agent_id, token)
    try:
        return await asyncio.wait_for(await sock.send_frame("message:send", {"channel": "gone", "content": "x"}), 10)
    finally:
        await sock.close()


def test_a_database_file_removed_under_the_hub_stops_every_write_and_fails_health(hub: HubProcess) -> None:
    agent, token = hub.register("keeper")
    with Client(hub.url, token=token) as client:
        client.send_message("before", channel="gone")
        health = _remove_the_database(hub)
        assert health.status_code == 503
        assert health.json()["error"]["code"] == "storage_lost"

        with pytest.raises(StorageUnavailable) as refused:  # the SDK, through HTTP's publish fast path
            client.send_message("after", channel="gone")
        assert refused.value.code == "storage_lost"
        assert "removed or replaced" in refused.value.message
        with pytest.raises(StorageUnavailable):  # a write through FastAPI's routes
            client.set_memory("k", 1)
    frame = asyncio.run(_ws_publish(hub, agent["id"], token))
    assert frame["type"] == "error"
    assert frame["error"] == {**health.json()["error"], "status": 503}
    result = cli(hub, "send", "gone", "from the cli")
    assert result.code == 1 and result.out == ""
    assert result.err_lines == [f"agenthub: {refused.value.message} [storage_lost]"]
    status = cli(hub, "status", "--json")  # a health check for scripts: shown, and exit 1
    assert (status.code, status.json()["status"], status.json()["messages"]) == (1, "storage_lost", 1)
    assert status.err_lines == [
        "agenthub: the hub cannot store anything now (storage_lost): see its log, then restart it"
    ]

    assert hub.stop() == 0
    log = " ".join(hub.log_path.read_text().split())  # as one line: the console log wraps its lines
    assert log.count("was removed or replaced while the hub was running") == 1  # said once, not per write
    assert "Traceback" not in log
    assert not list(hub.data_dir.glob("agenthub.db*"))  # nothing was written anew in its place


def test_the_async_sdk_hears_storage_lost_on_every_send_it_coalesced(hub: HubProcess) -> None:
    async def run() -> list[BaseException | MessageAck]:
        async with AgentClient(name="streamer", server_url=hub.url, hub_token=hub.token) as agent:
            await agent.send_message("before", channel="gone")
            assert (await asyncio.to_thread(_remove_the_database, hub)).status_code == 503
            sends = (agent.send_message(f"after {n}", channel="gone") for n in range(5))  # one frame, coalesced
            return await asyncio.wait_for(asyncio.gather(*sends, return_exceptions=True), 10)

    refused = asyncio.run(run())
    assert [(type(e), getattr(e, "code", None)) for e in refused] == [(StorageUnavailable, "storage_lost")] * 5


def test_a_database_that_cannot_be_written_refuses_with_503_and_resumes(hub: HubProcess) -> None:
    _, token = hub.register("writer")
    assert hub.proc is not None
    http = hub.client(token)
    acked = [http.post("/api/messages", json={"channel": "io", "content": f"a{n}"}).json()["id"] for n in range(20)]

    # No file of the hub's may grow past 64 KiB now: the database's next write beyond that fails (EFBIG), as a
    # failing disk's would. Only the soft limit, so that the test may lift it again.
    resource.prlimit(hub.proc.pid, resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
    refused = []
    for n in range(400):
        response = http.post("/api/messages", json={"channel": "io", "content": f"b{n}" + "x" * 4000})
        if response.status_code == 201:
            acked.append(response.json()["id"])
            continue
        refused.append(response)
        if len(refused) == 3:
            break
    assert len(refused) == 3, "the limit never bit"
    assert {r.status_code for r in refused} == {503}
    error = refused[0].json()["error"]
    assert error["code"] == "storage_error" and error["details"] == {"sqlite_error": "SQLITE_IOERR_WRITE"}
    assert error["message"].startswith("the hub's database file cannot be read or written (SQLite: disk I/O error)")
    assert error["message"].endswith("nothing of this request was stored")
    with Client(hub.url, token=token) as client, pytest.raises(StorageUnavailable):
        client.set_memory("io", 1)  # a write through FastAPI's routes, and the SDK's error class

    resource.prlimit(hub.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    acked.append(http.post("/api/messages", json={"channel": "io", "content": "c"}).json()["id"])
    assert httpx.get(f"{hub.url}/health").status_code == 200
    http.close()

    hub.restart()  # what was acknowledged is there, and nothing that was refused
    with hub.client(token) as http:
        stored = [m["id"] for m in http.get("/api/messages", params={"channel": "io", "limit": 1000}).json()]
    assert stored == acked
    log = " ".join(hub.log_path.read_text().split())
    assert log.count("agenthub.db failed: disk I/O error") == 1  # once, not once per refused request
    assert log.count("works again after") == 1
    assert "Traceback" not in log
