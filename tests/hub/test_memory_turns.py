"""Compare-and-sets of one key take turns: the losers of a race are refused without a write of their own,
with the same answer the storage would give, and a caller that gives up while waiting does not stall the
others."""

from __future__ import annotations

import asyncio

import pytest

from agenthub.errors import Conflict, Forbidden
from agenthub.hub import OPERATOR_ACTOR, Actor, Hub
from agenthub.models import AccessControl, Memory, MemoryUpdate
from agenthub.storage import MemoryWrite
from agenthub.storage.base import MemoryGuard
from tests.hub.helpers import agent


def _count_writes(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the memory writes that reach the storage, in order."""
    seen: list[str] = []
    put = hub.storage.put_memory

    async def counted(write: MemoryWrite, guard: MemoryGuard, on_commit: object = None) -> Memory:
        seen.append(write.key)
        return await put(write, guard, on_commit)  # type: ignore[arg-type]

    monkeypatch.setattr(hub.storage, "put_memory", counted)
    return seen


async def test_the_losers_of_a_race_are_refused_without_writing(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    actors = [await agent(hub, f"racer-{n}") for n in range(8)]
    first = await hub.memory.set(actors[0], "race/counter", MemoryUpdate(value=0))
    writes = _count_writes(hub, monkeypatch)

    outcomes = await asyncio.gather(
        *(
            hub.memory.set(a, "race/counter", MemoryUpdate(value=n, if_version=first.version))
            for n, a in enumerate(actors)
        ),
        return_exceptions=True,
    )
    wins = [o for o in outcomes if isinstance(o, Memory)]
    refusals = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(wins) == 1 and len(refusals) == 7 and wins[0].version == first.version + 1
    assert writes == ["race/counter"]  # only the winner's write reached the storage
    for refusal in refusals:
        assert refusal.code == "version_mismatch"
        assert refusal.details["current_version"] == wins[0].version
        assert refusal.details["current"] == wins[0].model_dump(mode="json")
    assert [v.version for v in await hub.memory.history(OPERATOR_ACTOR, "race/counter", 10)] == [1, 2]


async def test_a_refusal_made_while_taking_turns_is_the_storages_own(hub: Hub) -> None:
    owner, outsider = await agent(hub, "owner"), await agent(hub, "outsider")
    acl = AccessControl(read=["owner"], write=["owner"])
    made = await hub.memory.set(owner, "private/key", MemoryUpdate(value=1, access_control=acl))

    async def race(actor: Actor, if_version: int) -> BaseException | Memory:
        try:
            return await hub.memory.set(actor, "private/key", MemoryUpdate(value=2, if_version=if_version))
        except (Conflict, Forbidden) as refused:
            return refused

    won, stale, denied = await asyncio.gather(race(owner, made.version), race(owner, made.version), race(outsider, 2))
    assert isinstance(won, Memory) and won.version == 2
    assert isinstance(stale, Conflict) and stale.details["current"]["version"] == 2
    assert isinstance(denied, Forbidden) and denied.code == "memory_write_denied"

    await hub.memory.delete(owner, "private/key")
    gone, created = await asyncio.gather(race(owner, 2), race(owner, 0))
    assert isinstance(gone, Conflict) and gone.details == {"key": "private/key", "current_version": 0, "if_version": 2}
    assert isinstance(created, Memory) and created.version == 4  # the delete was version 3


async def test_a_caller_that_gives_up_while_waiting_does_not_stall_the_others(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = await agent(hub, "patient")
    made = await hub.memory.set(actor, "slow/key", MemoryUpdate(value=0))
    put = hub.storage.put_memory
    release = asyncio.Event()

    async def held_back(write: MemoryWrite, guard: MemoryGuard, on_commit: object = None) -> Memory:
        await release.wait()
        return await put(write, guard, on_commit)  # type: ignore[arg-type]

    monkeypatch.setattr(hub.storage, "put_memory", held_back)
    first = asyncio.ensure_future(hub.memory.set(actor, "slow/key", MemoryUpdate(value=1, if_version=made.version)))
    await asyncio.sleep(0.01)
    quitter = asyncio.ensure_future(hub.memory.set(actor, "slow/key", MemoryUpdate(value=9, if_version=2)))
    last = asyncio.ensure_future(hub.memory.set(actor, "slow/key", MemoryUpdate(value=2, if_version=2)))
    await asyncio.sleep(0.01)
    quitter.cancel()
    release.set()
    assert (await first).version == 2
    assert (await asyncio.wait_for(last, 5)).value == 2
    assert quitter.cancelled()
    assert hub.memory._turns == {}  # nothing left waiting on the key
