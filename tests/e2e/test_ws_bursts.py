"""A burst of stream frames reaches a subscriber as separate frames, in order, whether the server is
`agenthub serve` (which writes a connection's queued frames at once, `server/ws_protocol.py`) or any other
ASGI server running the app (which sends them one by one)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from bench.rawws import connect

from tests.hubproc import HubProcess, free_port
from tests.wsclient import collect

PLAIN_UVICORN = """
import sys, uvicorn
from agenthub.server import create_app
from agenthub.settings import HubSettings
app = create_app(HubSettings(data_dir=sys.argv[1], port=int(sys.argv[2])))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", ws="websockets-sansio")
"""


@pytest.fixture(params=["agenthub serve", "plain uvicorn"])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HubProcess]:
    port = free_port()
    data = tmp_path / "hub"
    command = None if request.param == "agenthub serve" else [sys.executable, "-c", PLAIN_UVICORN, str(data), str(port)]
    started = HubProcess(data, port=port, command=command).start()
    yield started
    started.stop()


def _request(kind: str, data: dict[str, object]) -> str:
    return orjson.dumps({"type": kind, "id": kind, "data": data}).decode()


async def test_a_burst_arrives_as_separate_frames_in_seq_order(hub: HubProcess) -> None:
    sender, sender_token = hub.register("burst-sender")
    reader, reader_token = hub.register("burst-reader")
    contents = [f"m{n}" for n in range(300)]
    async with (
        connect(f"{hub.ws_url}/ws/{reader['id']}", {"Authorization": f"Bearer {reader_token}"}) as sub,
        connect(f"{hub.ws_url}/ws/{sender['id']}", {"Authorization": f"Bearer {sender_token}"}) as pub,
    ):
        await sub.send(_request("agent:register", {"subscriptions": ["burst"]}))
        assert orjson.loads(await sub.recv())["type"] == "ack"
        await pub.send(_request("message:send", {"messages": [{"channel": "burst", "content": c} for c in contents]}))
        answer = orjson.loads(await pub.recv())
        while answer.get("id") != "message:send":  # skip presence events
            answer = orjson.loads(await pub.recv())
        assert answer["type"] == "ack"
        received = [frame["data"] for frame in await collect(sub, "message:received", len(contents))]
    assert [m["content"] for m in received] == contents
    seqs = [m["seq"] for m in received]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
