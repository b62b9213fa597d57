"""A minimal asyncio WebSocket client (RFC 6455): just enough to drive the hub without a client library
becoming the bottleneck, as `bench.resp` is for Redis.

Text frames go out masked with an all-zero key (legal, and the payload needs no XOR); text frames come in
whole (the hub never fragments); pings are answered; a close frame ends the connection. No extensions, so no
compression on either side.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import Generator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA
_NO_MASK_KEY = b"\x00\x00\x00\x00"


class ConnectionClosed(Exception):
    """The hub closed the connection (the close frame's code and reason are the message)."""


def _frame(opcode: int, payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + _NO_MASK_KEY + payload


class RawWebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str]) -> RawWebSocket:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        reader, writer = await asyncio.open_connection(host, port, limit=2**24)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {parts.path or '/'} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            writer.close()
            raise ConnectionClosed(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return cls(reader, writer)

    async def send(self, text: str) -> None:
        self._writer.write(_frame(_TEXT, text.encode()))
        await self._writer.drain()

    async def recv(self) -> str:
        """The next text frame's payload (pings are answered on the way)."""
        read = self._reader.readexactly
        while True:
            first, second = await read(2)
            size = second & 0x7F
            if size == 126:
                size = int.from_bytes(await read(2))
            elif size == 127:
                size = int.from_bytes(await read(8))
            payload = await read(size) if size else b""
            opcode = first & 0x0F
            if opcode == _TEXT:
                return payload.decode()
            if opcode == _PING:
                self._writer.write(_frame(_PONG, payload))
            elif opcode == _CLOSE:
                code = int.from_bytes(payload[:2]) if len(payload) >= 2 else 1005
                raise ConnectionClosed(f"{code} {payload[2:].decode(errors='replace')}".strip())

    def __aiter__(self) -> RawWebSocket:
        return self

    async def __anext__(self) -> str:
        try:
            return await self.recv()
        except (ConnectionClosed, asyncio.IncompleteReadError):
            raise StopAsyncIteration from None

    async def close(self) -> None:
        if self._writer.is_closing():
            return
        self._writer.write(_frame(_CLOSE, (1000).to_bytes(2)))
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except OSError:  # the peer may reset instead of closing cleanly
            pass


class Connecting:
    """What `connect` returns: await it for the connection, or use it with `async with` to close it after."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self._url = url
        self._headers = headers
        self._ws: RawWebSocket | None = None

    def __await__(self) -> Generator[Any, None, RawWebSocket]:
        return RawWebSocket.connect(self._url, self._headers).__await__()

    async def __aenter__(self) -> RawWebSocket:
        self._ws = await RawWebSocket.connect(self._url, self._headers)
        return self._ws

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._ws is not None:
            await self._ws.close()


def connect(url: str, headers: dict[str, str]) -> Connecting:
    return Connecting(url, headers)
