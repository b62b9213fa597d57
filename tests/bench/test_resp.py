"""The bench's RESP client against a real redis-server: replies counted without parsing them are counted
exactly, and an error among them is not taken for an answer."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from bench.resp import Redis, encode
from bench.run import redis_server
from bench.workloads import PUBSUB_MESSAGE_LINES, XADD_REPLY_LINES


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    with redis_server(persistent=False) as (port, _):
        yield port


async def test_skipped_replies_are_counted_exactly(redis_port: int) -> None:
    redis = await Redis.connect(redis_port)
    await redis.call("DEL", "counted")
    redis.writer.write(encode("XADD", "counted", "*", "content", "x" * 64) * 1000)
    await redis.skip_replies(400, XADD_REPLY_LINES)
    await redis.skip_replies(600, XADD_REPLY_LINES)
    assert await redis.call("XLEN", "counted") == 1000  # nothing left unread before it, nothing read past it
    await redis.close()


async def test_pubsub_messages_are_counted_exactly(redis_port: int) -> None:
    subscriber, publisher = await Redis.connect(redis_port), await Redis.connect(redis_port)
    await subscriber.call("SUBSCRIBE", "counted")
    publisher.writer.write(encode("PUBLISH", "counted", "x" * 64) * 250)
    await publisher.skip_replies(250, 1)
    await subscriber.skip_replies(250, PUBSUB_MESSAGE_LINES)
    assert await publisher.call("PUBLISH", "counted", "last") == 1
    assert await subscriber.reply() == [b"message", b"counted", b"last"]
    await subscriber.close()
    await publisher.close()


async def test_an_error_among_skipped_replies_raises(redis_port: int) -> None:
    redis = await Redis.connect(redis_port)
    redis.writer.write(encode("XADD", "counted", "*", "content", "x") + encode("XADD", "counted"))
    with pytest.raises(RuntimeError, match="Redis answered an error"):
        await redis.skip_replies(2, XADD_REPLY_LINES)
    await redis.close()
