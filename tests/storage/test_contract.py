"""The behaviour every storage backend must have, spoken only through the `Storage` protocol."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import pytest

from agenthub._time import now_iso
from agenthub.models import AgentStatus, Message
from agenthub.storage import MessageQuery, NewAgent, NewMessage, Storage
from tests.storage.conftest import AuditEntry, Backend

LONG_AGO = "2000-01-01T00:00:00.000000Z"  # a dedup window that covers everything
_hashes = itertools.count()


def new_agent(name: str, token_hash: str | None = None, **fields: Any) -> NewAgent:
    return NewAgent(
        id=str(uuid.uuid4()),
        name=name,
        type=fields.get("type", "worker"),
        capabilities=fields.get("capabilities", ["python"]),
        metadata=fields.get("metadata", {"team": "a"}),
        parent_id=fields.get("parent_id"),
        token_hash=token_hash or f"hash-{next(_hashes)}",
        created_at=now_iso(),
    )


def new_message(sender_id: str | None, content: str = "hello", **fields: Any) -> NewMessage:
    return NewMessage(id=str(uuid.uuid4()), sender_id=sender_id, content=content, created_at=now_iso(), **fields)


async def register(storage: Storage, name: str) -> str:
    agent, _ = await storage.register_agent(new_agent(name))
    return agent.id


async def append(storage: Storage, *messages: NewMessage, dedup_after: str = LONG_AGO) -> list[Message]:
    return await storage.append_messages(list(messages), dedup_after)


def actions(entries: list[AuditEntry]) -> list[str]:
    return [e.action for e in entries]


# -- agents and tokens ----------------------------------------------------------------------------------


async def test_register_is_idempotent_by_name(backend: Backend) -> None:
    storage = backend.storage
    first = new_agent("alice", "h1", type="llm", capabilities=["a"], metadata={"v": 1})
    agent, created = await storage.register_agent(first)
    assert created is True
    assert (agent.id, agent.name, agent.type, agent.status) == (first.id, "alice", "llm", AgentStatus.offline)
    assert (agent.capabilities, agent.metadata, agent.parent_id, agent.last_seen) == (["a"], {"v": 1}, None, None)
    again, created = await storage.register_agent(new_agent("alice", "h2", type="tool", capabilities=["b"]))
    assert created is False
    assert again.id == first.id
    assert (again.type, again.capabilities) == ("tool", ["b"])
    assert await storage.agent_id_for_token("h1") == first.id  # the old token still works
    assert await storage.agent_id_for_token("h2") == first.id
    assert await storage.agent_id_for_token("unknown") is None
    assert [a.name for a in await storage.list_agents()] == ["alice"]
    assert actions(await backend.audit()) == ["agent.registered", "agent.reregistered"]
    assert {e.subject_id for e in await backend.audit()} == {first.id}


async def test_get_update_and_delete_agents(backend: Backend) -> None:
    storage = backend.storage
    parent = await register(storage, "parent")
    child, _ = await storage.register_agent(new_agent("child", "child-hash", parent_id=parent))
    assert child.parent_id == parent
    fetched = await storage.get_agent(child.id)
    assert fetched is not None and fetched.model_dump() == child.model_dump()
    assert await storage.get_agent("nobody") is None
    updated = await storage.update_agent(child.id, {"type": "reviewer", "metadata": {"x": 2}, "name": "no"}, parent)
    assert updated is not None
    assert (updated.name, updated.type, updated.metadata) == ("child", "reviewer", {"x": 2})
    assert await storage.update_agent("nobody", {"type": "x"}, None) is None
    await storage.subscribe(child.id, "general")
    assert await storage.delete_agent(child.id, None) is True
    assert await storage.delete_agent(child.id, None) is False
    assert await storage.get_agent(child.id) is None
    assert await storage.agent_id_for_token("child-hash") is None
    assert await storage.list_subscriptions(child.id) == []
    trail = [e for e in await backend.audit() if e.subject_id == child.id]
    assert [(e.action, e.actor_id) for e in trail] == [
        ("agent.registered", None),
        ("agent.updated", parent),
        ("agent.deleted", None),
    ]


async def test_presence_is_stored_and_status_changes_are_audited(backend: Backend) -> None:
    storage = backend.storage
    agent_id = await register(storage, "present")
    seen = now_iso()
    await storage.set_presence({agent_id: (AgentStatus.online, seen)})
    await storage.set_presence({agent_id: (AgentStatus.online, now_iso())})  # no change of status: not audited
    await storage.set_presence({agent_id: (AgentStatus.busy, now_iso())})
    agent = await storage.get_agent(agent_id)
    assert agent is not None and agent.status == AgentStatus.busy and agent.last_seen is not None
    assert [e.action for e in await backend.audit() if e.action == "agent.status"] == ["agent.status"] * 2


async def test_the_cursor_never_moves_back(storage: Storage) -> None:
    agent_id = await register(storage, "reader")
    assert await storage.get_cursor(agent_id) == 0
    assert await storage.advance_cursor(agent_id, 5) == 5
    assert await storage.advance_cursor(agent_id, 3) == 5
    assert await storage.advance_cursor(agent_id, 9) == 9
    assert await storage.get_cursor(agent_id) == 9
    assert await storage.get_cursor("nobody") == 0


async def test_subscribe_keeps_its_first_since_seq(backend: Backend) -> None:
    storage = backend.storage
    agent_id = await register(storage, "subscriber")
    sender = await register(storage, "sender")
    [before] = await append(storage, new_message(sender, channel="general"))
    committed: list[int] = []
    first = await storage.subscribe(agent_id, "general", lambda sub: committed.append(sub.since_seq))
    assert (first.agent_id, first.pattern, first.since_seq) == (agent_id, "general", before.seq)
    assert committed == [before.seq]  # on_commit ran before the caller resumed
    await append(storage, new_message(sender, channel="general"))
    again = await storage.subscribe(agent_id, "general")
    assert again.since_seq == before.seq
    await storage.subscribe(agent_id, "acme/*")
    assert sorted(s.pattern for s in await storage.list_subscriptions(agent_id)) == ["acme/*", "general"]
    assert len(await storage.list_subscriptions()) == 2
    assert await storage.unsubscribe(agent_id, "general") is True
    assert await storage.unsubscribe(agent_id, "general") is False
    assert [s.pattern for s in await storage.list_subscriptions(agent_id)] == ["acme/*"]
    assert [e.action for e in await backend.audit() if e.actor_id == agent_id] == [
        "channel.subscribed",
        "channel.subscribed",
        "channel.subscribed",
        "channel.unsubscribed",
    ]


# -- appending and dedup --------------------------------------------------------------------------------


async def test_append_assigns_increasing_seq_and_keeps_every_field(backend: Backend) -> None:
    storage = backend.storage
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")
    new = new_message(
        alice,
        "full",
        channel="acme/general",
        recipients=[bob],
        task_id="t1",
        thread_id="th1",
        title="Title",
        message_type="coordination",
        metadata={"k": [1, 2]},
        msg_id="m1",
        dedup_key=alice,
    )
    seen: list[list[int]] = []
    stored = await storage.append_messages(
        [new, new_message(None, "from the operator", channel="x")],
        LONG_AGO,
        lambda ms: seen.append([m.seq for m in ms]),
    )
    assert [m.seq for m in stored] == [stored[0].seq, stored[0].seq + 1]
    assert seen == [[m.seq for m in stored]]
    first = stored[0]
    assert (first.id, first.channel, first.sender_id, first.recipients) == (new.id, "acme/general", alice, [bob])
    assert (first.task_id, first.thread_id, first.title, first.content) == ("t1", "th1", "Title", "full")
    assert (first.message_type.value, first.metadata, first.msg_id, first.duplicate) == (
        "coordination",
        {"k": [1, 2]},
        "m1",
        False,
    )
    fetched = await storage.get_message(first.id)
    assert fetched is not None
    assert fetched.model_dump(exclude={"receipts"}) == first.model_dump(exclude={"receipts"})
    more = await append(storage, new_message(alice, channel="y"))
    assert more[0].seq > stored[1].seq
    published = [e for e in await backend.audit() if e.action == "message.published"]
    assert [(e.actor_id, e.subject_id) for e in published] == [  # one entry per sender of a write
        (alice, first.id),
        (None, stored[1].id),
        (alice, more[0].id),
    ]


async def test_dedup_within_and_across_batches(storage: Storage) -> None:
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")

    def keyed(key: str, sender: str, content: str = "x") -> NewMessage:
        return new_message(sender, content, channel="general", msg_id=key, dedup_key=sender)

    batch = await append(storage, keyed("k1", alice, "first"), keyed("k1", alice, "repeat"), keyed("k2", alice))
    assert [m.duplicate for m in batch] == [False, True, False]
    assert (batch[1].id, batch[1].seq, batch[1].content) == (batch[0].id, batch[0].seq, "first")
    later = await append(storage, keyed("k1", alice, "later"))
    assert (later[0].id, later[0].duplicate) == (batch[0].id, True)
    theirs = await append(storage, keyed("k1", bob))  # the same msg_id from another sender is another message
    assert theirs[0].duplicate is False and theirs[0].id != batch[0].id
    no_key = await append(storage, new_message(alice, channel="general", msg_id="k1"))  # no dedup_key: no dedup
    assert no_key[0].duplicate is False
    stored = await storage.query_messages(MessageQuery(channel="general"))
    assert len(stored) == 4


async def test_concurrent_repeats_of_one_msg_id_store_one_message(storage: Storage) -> None:
    alice = await register(storage, "alice")
    results = await asyncio.gather(
        *[
            append(storage, new_message(alice, f"try {i}", channel="c", msg_id="same", dedup_key=alice))
            for i in range(5)
        ]
    )
    stored = [batch[0] for batch in results]
    assert sorted(m.duplicate for m in stored) == [False, True, True, True, True]
    assert {(m.id, m.seq) for m in stored} == {(stored[0].id, stored[0].seq)}
    assert (await storage.counts())["messages"] == 1


async def test_dedup_window_and_pruning(storage: Storage) -> None:
    alice = await register(storage, "alice")
    keyed = new_message(alice, "original", channel="general", msg_id="k", dedup_key=alice)
    [original] = await append(storage, keyed)
    again = new_message(alice, "outside the window", channel="general", msg_id="k", dedup_key=alice)
    [outside] = await append(storage, again, dedup_after=now_iso())  # the original is older than the window
    assert outside.duplicate is False and outside.seq > original.seq
    [repeat] = await append(storage, new_message(alice, "again", channel="general", msg_id="k", dedup_key=alice))
    assert (repeat.duplicate, repeat.seq) == (True, outside.seq)  # the newest one now answers for the key
    assert await storage.prune_dedup(now_iso()) == 1
    [fresh] = await append(storage, new_message(alice, "after prune", channel="general", msg_id="k", dedup_key=alice))
    assert fresh.duplicate is False


async def test_a_resent_batch_is_answered_original_by_original_in_place(storage: Storage) -> None:
    alice = await register(storage, "alice")

    def keyed(key: str) -> NewMessage:
        return new_message(alice, key, channel="general", msg_id=key, dedup_key=alice)

    first = await append(storage, keyed("a"), keyed("b"), keyed("c"))
    again = await append(storage, keyed("c"), keyed("a"), keyed("b"))
    assert [(m.seq, m.duplicate) for m in again] == [(first[2].seq, True), (first[0].seq, True), (first[1].seq, True)]
    mixed = await append(storage, keyed("b"), keyed("d"), keyed("a"), keyed("e"))
    assert [(m.content, m.duplicate) for m in mixed] == [("b", True), ("d", False), ("a", True), ("e", False)]
    assert [mixed[1].seq, mixed[3].seq] == [first[2].seq + 1, first[2].seq + 2]


async def test_text_with_nul_characters_is_stored_whole(storage: Storage) -> None:
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")
    odd = "a\x00b \\u0000 \u00e9\U0001f600"
    new = new_message(
        alice, odd, channel="general", recipients=[bob], title=odd, metadata={odd: odd}, msg_id=odd, dedup_key=alice
    )
    stored, plain = await append(storage, new, new_message(alice, "plain", channel="general"))
    assert (plain.seq, plain.content) == (stored.seq + 1, "plain")
    fetched = await storage.get_message(stored.id)
    assert fetched is not None
    assert (fetched.seq, fetched.content, fetched.title, fetched.metadata, fetched.msg_id) == (
        stored.seq,
        odd,
        odd,
        {odd: odd},
        odd,
    )
    [again] = await append(storage, new_message(alice, "resent", channel="general", msg_id=odd, dedup_key=alice))
    assert (again.id, again.duplicate) == (stored.id, True)
    [cut] = await append(storage, new_message(alice, "cut short", channel="general", msg_id="a", dedup_key=alice))
    assert cut.duplicate is False  # "a" is not the msg_id "a\x00b ..."


async def test_a_failed_append_stores_nothing_and_audits_nothing(backend: Backend) -> None:
    storage = backend.storage
    alice = await register(storage, "alice")
    [kept] = await append(storage, new_message(alice, channel="general"))
    before = await backend.audit()
    clash = new_message(alice, "clashing id", channel="general")
    clash.id = kept.id
    with pytest.raises(backend.integrity_error):
        await append(storage, new_message(alice, "would be first", channel="general"), clash)
    assert [m.id for m in await storage.query_messages(MessageQuery())] == [kept.id]
    assert await backend.audit() == before
    assert (await storage.counts())["messages"] == 1


async def test_a_failing_write_leaves_its_neighbours_and_no_audit_entry(backend: Backend) -> None:
    storage = backend.storage
    await storage.register_agent(new_agent("first", "shared-hash"))
    before = await backend.audit()
    results = await asyncio.gather(
        storage.register_agent(new_agent("ok-1")),
        storage.register_agent(new_agent("broken", "shared-hash")),  # its token clashes: the whole write fails
        storage.register_agent(new_agent("ok-2")),
        return_exceptions=True,
    )
    assert isinstance(results[1], backend.integrity_error)
    assert sorted(a.name for a in await storage.list_agents()) == ["first", "ok-1", "ok-2"]
    added = (await backend.audit())[len(before) :]
    assert sorted(actions(added)) == ["agent.registered", "agent.registered"]
    assert {e.subject_id for e in added} == {r[0].id for r in (results[0], results[2]) if isinstance(r, tuple)}


# -- reading ----------------------------------------------------------------------------------------------


async def test_messages_for_agent_entitlement(storage: Storage) -> None:
    me = await register(storage, "me")
    other = await register(storage, "other")
    third = await register(storage, "third")
    [old] = await append(storage, new_message(other, "before subscribing", channel="general"))
    for pattern in ("general", "acme/*"):
        await storage.subscribe(me, pattern)
    published = await append(
        storage,
        new_message(other, "general", channel="general"),
        new_message(other, "scope", channel="acme/x/y"),
        new_message(other, "scope root", channel="acme"),
        new_message(other, "similar", channel="acmex/y"),
        new_message(other, "unsubscribed", channel="random"),
        new_message(other, "direct", recipients=[me]),
        new_message(other, "direct to another", recipients=[third]),
        new_message(me, "mine", channel="general"),
        new_message(me, "to myself", recipients=[me]),
        new_message(None, "operator", channel="acme/ops"),
        new_message(other, "both", channel="general", recipients=[me]),
    )
    subs = await storage.list_subscriptions(me)
    got = await storage.messages_for_agent(me, subs, 0, 100)
    assert [m.content for m in got] == ["general", "scope", "direct", "operator", "both"]
    assert old.seq < got[0].seq
    after = await storage.messages_for_agent(me, subs, published[1].seq, 100)
    assert [m.content for m in after] == ["direct", "operator", "both"]
    assert [m.content for m in await storage.messages_for_agent(me, subs, 0, 2)] == ["general", "scope"]
    await storage.subscribe(third, "*")
    everything = await storage.messages_for_agent(third, await storage.list_subscriptions(third), 0, 100)
    assert [m.content for m in everything] == ["direct to another"]  # subscribed after every channel message
    [late] = await append(storage, new_message(other, "late", channel="anything/at/all"))
    star = await storage.messages_for_agent(third, await storage.list_subscriptions(third), published[-1].seq, 100)
    assert [m.id for m in star] == [late.id]
    direct_only = await storage.messages_for_agent(third, [], 0, 100)
    assert [m.content for m in direct_only] == ["direct to another"]


async def test_visibility_for_a_viewer(storage: Storage) -> None:
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")
    eve = await register(storage, "eve")
    await append(
        storage,
        new_message(alice, "public words", channel="general"),
        new_message(alice, "secret words to bob", recipients=[bob]),
        new_message(bob, "secret words to alice", recipients=[alice]),
        new_message(alice, "words in both", channel="general", recipients=[bob]),
    )

    async def seen(viewer: str | None) -> list[str]:
        return [m.content for m in await storage.query_messages(MessageQuery(), viewer_id=viewer)]

    async def found(viewer: str | None) -> list[str]:
        return [m.content for m in await storage.search_messages("words", 50, viewer_id=viewer)]

    everything = ["public words", "secret words to bob", "secret words to alice", "words in both"]
    assert await seen(None) == everything
    assert await seen(alice) == everything
    assert await seen(bob) == everything
    assert await seen(eve) == ["public words", "words in both"]
    assert await found(None) == everything
    assert await found(eve) == ["public words", "words in both"]
    assert await found(bob) == everything
    by_sender = await storage.query_messages(MessageQuery(sender_id=alice), viewer_id=eve)
    assert [m.content for m in by_sender] == ["public words", "words in both"]


async def test_query_filters_and_order(storage: Storage) -> None:
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")
    stored = await append(
        storage,
        *[
            new_message(
                alice if i % 2 == 0 else bob,
                f"m{i}",
                channel="c",
                task_id="t" if i < 2 else None,
                thread_id="th" if i >= 4 else None,
            )
            for i in range(6)
        ],
    )
    seqs = [m.seq for m in stored]

    async def q(**fields: Any) -> list[str]:
        return [m.content for m in await storage.query_messages(MessageQuery(**fields))]

    assert await q() == ["m0", "m1", "m2", "m3", "m4", "m5"]
    assert await q(limit=2) == ["m4", "m5"]
    assert await q(since=seqs[1], limit=2) == ["m2", "m3"]
    assert await q(before=seqs[2]) == ["m0", "m1"]
    assert await q(sender_id=bob) == ["m1", "m3", "m5"]
    assert await q(task_id="t") == ["m0", "m1"]
    assert await q(thread_id="th") == ["m4", "m5"]
    assert await q(channel="other") == []
    assert await q(since_time=LONG_AGO, limit=3) == ["m0", "m1", "m2"]
    assert await q(since_time="2999-01-01T00:00:00.000000Z") == []


async def test_receipts(storage: Storage) -> None:
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")
    carol = await register(storage, "carol")
    [direct, public] = await append(
        storage, new_message(alice, recipients=[carol, bob]), new_message(alice, channel="general")
    )

    async def receipts() -> list[tuple[str, bool, bool]]:
        message = await storage.get_message(direct.id)
        assert message is not None and message.receipts is not None
        return [(r.agent_id, r.delivered_at is not None, r.read_at is not None) for r in message.receipts]

    assert await receipts() == [(carol, False, False), (bob, False, False)]
    fetched_public = await storage.get_message(public.id)
    assert fetched_public is not None and fetched_public.receipts is None
    first, later = "2030-01-01T00:00:00.000000Z", "2031-01-01T00:00:00.000000Z"
    await storage.mark_delivered([(bob, direct.seq), (alice, public.seq)], first)
    await storage.mark_delivered([(bob, direct.seq)], later)
    message = await storage.get_message(direct.id)
    assert message is not None and message.receipts is not None
    assert message.receipts[1].delivered_at is not None and message.receipts[1].delivered_at.year == 2030
    assert await receipts() == [(carol, False, False), (bob, True, False)]
    assert await storage.mark_read(carol, direct.id, now_iso()) is True
    assert await storage.mark_read(carol, direct.id, now_iso()) is False
    assert await storage.mark_read(alice, direct.id, now_iso()) is False  # the sender is not a recipient
    assert await storage.mark_read(bob, public.id, now_iso()) is False
    assert await receipts() == [(carol, True, True), (bob, True, False)]


async def test_delete_message(backend: Backend) -> None:
    storage = backend.storage
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")
    [direct] = await append(storage, new_message(alice, "findme", recipients=[bob]))
    assert await storage.delete_message(direct.id, alice) is True
    assert await storage.delete_message(direct.id, alice) is False
    assert await storage.get_message(direct.id) is None
    assert await storage.messages_for_agent(bob, [], 0, 10) == []
    assert await storage.search_messages("findme", 10) == []
    assert [(e.action, e.actor_id, e.subject_id) for e in await backend.audit() if e.action == "message.deleted"] == [
        ("message.deleted", alice, direct.id)
    ]
    [after] = await append(storage, new_message(alice, channel="general"))
    assert after.seq > direct.seq  # a deleted message's seq is never given out again


async def test_search(storage: Storage) -> None:
    alice = await register(storage, "alice")
    stored = await append(
        storage,
        new_message(alice, "The quick brown fox", channel="c"),
        new_message(alice, "nothing", channel="c", title="Fox report"),
        new_message(alice, "lazy dog", channel="c"),
    )

    async def search(text: str, limit: int = 50) -> list[str]:
        return [m.id for m in await storage.search_messages(text, limit)]

    assert await search("fox") == [stored[0].id, stored[1].id]
    assert await search("FOX quick") == [stored[0].id]
    assert await search("fox", limit=1) == [stored[1].id]
    assert await search("cat") == []
    for tricky in ('"', '"fox', 'fox"', "AND", "NOT fox", "NEAR(a b)", "*", "fox*", "title:fox", "-", "''", "   "):
        await search(tricky)


async def test_channels_and_counts(storage: Storage) -> None:
    alice = await register(storage, "alice")
    bob = await register(storage, "bob")
    carol = await register(storage, "carol")
    assert await storage.counts() == {"agents": 3, "channels": 0, "messages": 0, "last_seq": 0}
    await storage.subscribe(alice, "acme/general")
    await storage.subscribe(bob, "acme/*")
    await storage.subscribe(carol, "*")
    await storage.subscribe(carol, "other")
    stored = await append(
        storage,
        new_message(alice, channel="acme/general"),
        new_message(alice, channel="acme/general"),
        new_message(alice, recipients=[bob]),
        new_message(alice, channel="random"),
    )
    channels = {c.name: c for c in await storage.list_channels()}
    assert sorted(channels) == ["acme/general", "other", "random"]
    general = channels["acme/general"]
    assert (general.message_count, general.last_seq, general.subscribers) == (2, stored[1].seq, 3)
    assert (channels["other"].message_count, channels["other"].subscribers) == (0, 1)
    assert (channels["random"].message_count, channels["random"].subscribers) == (1, 1)
    assert await storage.counts() == {"agents": 3, "channels": 3, "messages": 4, "last_seq": stored[-1].seq}
    assert await storage.delete_message(stored[0].id, alice) is True
    assert {c.name: c.message_count for c in await storage.list_channels()}["acme/general"] == 1
    assert (await storage.counts())["messages"] == 3


async def test_search_covers_every_write_of_one_commit(storage: Storage) -> None:
    """Writes queued together share a commit: each is searchable after it, and one deleted in the same commit
    is not."""
    alice = await register(storage, "alice")
    [doomed] = await append(storage, new_message(alice, "ephemeral words", channel="c"))
    writes = [
        storage.append_messages([new_message(alice, f"needle number{i}", channel="c")], LONG_AGO) for i in range(5)
    ]
    writes.append(storage.delete_message(doomed.id, alice))
    writes.append(storage.append_messages([new_message(alice, "ephemeral too", channel="c")], LONG_AGO))
    *appended, deleted, [kept] = await asyncio.gather(*writes)
    assert deleted is True
    assert [m.content for m in await storage.search_messages("needle", 50)] == [f"needle number{i}" for i in range(5)]
    assert [m.id for m in await storage.search_messages("ephemeral", 50)] == [kept.id]
    assert [m.id for m in await storage.search_messages("number3", 50)] == [appended[3][0].id]
