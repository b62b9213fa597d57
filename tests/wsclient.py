"""A raw protocol client for tests: frames in and out, nothing from the SDK."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


class RawSocket:
    """One WebSocket connection speaking the §6 frames; stream frames are collected in `stream`."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.stream: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.errors: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, ws_url: str, agent: str, token: str, **options: Any) -> RawSocket:
        ws = await connect(f"{ws_url}/ws/{agent}", additional_headers={"Authorization": f"Bearer {token}"}, **options)
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = orjson.loads(raw)
                future = self._waiting.pop(str(frame.get("id")), None) if frame["type"] in ("ack", "error") else None
                if future is not None:
                    future.set_result(frame)
                elif frame["type"] == "error":
                    self.errors.append(frame)
                else:
                    await self.stream.put(frame)
        except ConnectionClosed:
            pass
        finally:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            self._waiting.clear()
            await self.stream.put({"type": "closed", "code": self.ws.close_code, "reason": self.ws.close_reason})

    async def send_frame(self, kind: str, data: Any) -> asyncio.Future[dict[str, Any]]:
        """Send a request without waiting; the future resolves to its ack or error frame."""
        request_id = f"q{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        await self.ws.send(orjson.dumps({"type": kind, "id": request_id, "data": data}).decode())
        return future

    async def request(self, kind: str, data: Any, timeout: float = 30) -> dict[str, Any]:
        frame = await asyncio.wait_for(await self.send_frame(kind, data), timeout)
        if frame["type"] == "error":
            raise AssertionError(f"{kind} failed: {frame['error']}")
        data_out: dict[str, Any] = frame["data"]
        return data_out

    async def next_stream(self, timeout: float = 10) -> dict[str, Any]:
        return await asyncio.wait_for(self.stream.get(), timeout)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


async def collect(frames: AsyncIterator[str], kind: str, count: int) -> list[dict[str, Any]]:
    """The next `count` frames of type `kind` from a stream of text frames (others are skipped)."""
    found: list[dict[str, Any]] = []
    async for raw in frames:
        frame = orjson.loads(raw)
        if frame["type"] == kind:
            found.append(frame)
            if len(found) == count:
                break
    return found
