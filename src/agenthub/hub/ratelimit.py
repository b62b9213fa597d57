"""Rate limits: a token bucket per actor, shared by HTTP requests and WebSocket request frames."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from agenthub.errors import RateLimited
from agenthub.hub.auth import OPERATOR, Actor


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Each actor may make `rate` requests a second on average and `burst` at once; a rate of 0 is no limit.

    A refused request costs nothing and is told how long to wait (`details.retry_after`, seconds)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def check(self, actor: Actor) -> None:
        """Spend one request of the actor's allowance, or raise `RateLimited` with the wait before the next."""
        if self.rate <= 0:
            return
        key = actor.agent_id or OPERATOR
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), at=now)
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        retry_after = round((1.0 - bucket.tokens) / self.rate, 3)
        raise RateLimited(
            f"{actor.name} is over {self.rate:g} requests a second: retry in {retry_after:g} s",
            details={"retry_after": retry_after},
        )

    def forget(self, agent_id: str) -> None:
        self._buckets.pop(agent_id, None)
