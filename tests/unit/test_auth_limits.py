"""Tokens are compared in constant time and looked up by digest; the per-actor token bucket."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from agenthub.errors import RateLimited, Unauthorized
from agenthub.hub import auth
from agenthub.hub.agents import Agents
from agenthub.hub.auth import OPERATOR_ACTOR, Actor
from agenthub.hub.ratelimit import RateLimiter


class _Storage:
    """Only what `Agents.authenticate` asks of storage: which agent a token digest belongs to."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def agent_id_for_token(self, digest: str) -> str | None:
        self.asked.append(digest)
        return None


def test_the_hub_token_is_compared_with_compare_digest_and_agent_tokens_are_looked_up_by_sha256(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[tuple[Any, Any]] = []
    real = auth.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    storage = _Storage()
    agents = Agents(storage, "hub_secret")  # type: ignore[arg-type]
    assert asyncio.run(agents.authenticate("hub_secret")) == OPERATOR_ACTOR
    assert compared == [(b"hub_secret", b"hub_secret")]
    with pytest.raises(Unauthorized):
        asyncio.run(agents.authenticate("agt_guess"))
    assert storage.asked == [hashlib.sha256(b"agt_guess").hexdigest()]  # never the token itself


ALICE = Actor(agent_id="a", name="alice")
BOB = Actor(agent_id="b", name="bob")


def test_a_bucket_allows_the_burst_then_the_rate_and_says_when_to_retry() -> None:
    now = [100.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.check(ALICE)
    with pytest.raises(RateLimited) as refused:
        limiter.check(ALICE)
    assert refused.value.status == 429 and refused.value.details == {"retry_after": 0.5}
    limiter.check(BOB)  # buckets are per actor
    limiter.check(OPERATOR_ACTOR)
    now[0] += 0.5
    limiter.check(ALICE)  # refilled one
    with pytest.raises(RateLimited):
        limiter.check(ALICE)
    now[0] += 60
    for _ in range(3):  # never more than the burst after a long pause
        limiter.check(ALICE)
    with pytest.raises(RateLimited):
        limiter.check(ALICE)


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    for _ in range(1000):
        limiter.check(ALICE)
