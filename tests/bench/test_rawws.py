"""The bench's own WebSocket client against the real hub: frames of every length encoding, both directions."""

from __future__ import annotations

import orjson
import pytest
from bench.rawws import ConnectionClosed, connect

from tests.hubproc import HubProcess
from tests.wsclient import collect


def _request(kind: str, request_id: str, data: dict[str, object]) -> str:
    return orjson.dumps({"type": kind, "id": request_id, "data": data}).decode()


async def test_messages_of_every_frame_length_go_out_and_come_back_whole(shared_hub: HubProcess, unique: str) -> None:
    sender, sender_token = shared_hub.register(f"rawpub-{unique}")
    reader, reader_token = shared_hub.register(f"rawsub-{unique}")
    channel = f"raw-{unique}"
    contents = ["x" * 10, "y" * 1_000, "z" * 100_000]  # 7-bit, 16-bit and 64-bit payload lengths
    async with (
        connect(f"{shared_hub.ws_url}/ws/{sender['id']}", {"Authorization": f"Bearer {sender_token}"}) as pub,
        connect(f"{shared_hub.ws_url}/ws/{reader['id']}", {"Authorization": f"Bearer {reader_token}"}) as sub,
    ):
        await sub.send(_request("agent:register", "r", {"subscriptions": [channel]}))
        assert orjson.loads(await sub.recv())["type"] == "ack"
        await pub.send(_request("agent:register", "r", {}))
        assert orjson.loads(await pub.recv())["type"] == "ack"
        for n, content in enumerate(contents):
            await pub.send(_request("message:send", str(n), {"channel": channel, "content": content}))
        acks = await collect(pub, "ack", len(contents))
        assert [ack["id"] for ack in acks] == ["0", "1", "2"]
        received = [frame["data"]["content"] for frame in await collect(sub, "message:received", len(contents))]
        assert received == contents


async def test_a_close_from_the_hub_ends_the_connection_with_its_code(shared_hub: HubProcess) -> None:
    async with connect(f"{shared_hub.ws_url}/ws/nobody", {"Authorization": "Bearer wrong"}) as ws:
        refusal = orjson.loads(await ws.recv())
        assert (refusal["type"], refusal["error"]["code"]) == ("error", "bad_token")
        with pytest.raises(ConnectionClosed, match=r"^1008 bad_token$"):
            await ws.recv()
