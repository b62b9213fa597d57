"""A minimal asyncio RESP2 client: enough Redis protocol to pipeline commands without a client library
becoming the bottleneck."""

from __future__ import annotations

import asyncio
from typing import Any


def encode(*args: str | bytes | int) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class Redis:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._spare_lines = 0  # read by `skip_replies` beyond the replies it was asked for
        self._line_start = True  # whether what `skip_replies` reads next starts a line

    @classmethod
    async def connect(cls, port: int) -> Redis:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer)

    def send(self, *args: str | bytes | int) -> None:
        self.writer.write(encode(*args))

    async def reply(self) -> Any:
        line = await self.reader.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = await self.reader.readexactly(size + 2)
            return data[:-2]
        if kind == b"*":
            count = int(rest)
            if count < 0:
                return None
            return [await self.reply() for _ in range(count)]
        raise RuntimeError(f"unexpected reply {line!r}")

    async def skip_replies(self, count: int, lines: int) -> None:
        """Read `count` replies of `lines` lines each without parsing them, so that the load generator's
        reading costs next to nothing beside Redis's work: an XADD's answer (a bulk string) is 2 lines, a
        pub/sub message (an array of three bulk strings) 7, a PUBLISH's answer (an integer) 1. The replies
        must hold no newline of their own; an error reply raises. Not to be mixed with `reply()` once used."""
        needed = count * lines - self._spare_lines
        while needed > 0:
            chunk = await self.reader.read(1 << 16)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            if (self._line_start and chunk[:1] == b"-") or b"\n-" in chunk:
                raise RuntimeError(f"Redis answered an error: {chunk[:200]!r}")
            needed -= chunk.count(b"\n")
            self._line_start = chunk.endswith(b"\n")
        self._spare_lines = -needed

    async def call(self, *args: str | bytes | int) -> Any:
        self.send(*args)
        await self.writer.drain()
        return await self.reply()

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
