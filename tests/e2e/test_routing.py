"""Who receives what: channels, scopes, direct messages; history, search, dedup, seq and batches."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.wsutil import Peer, publish
from tests.hubproc import HubProcess

Agent = tuple[dict[str, Any], str]


def _contents(frames: list[dict[str, Any]]) -> list[str]:
    return [f["content"] for f in frames]


def _marker(hub: HubProcess, token: str, to: dict[str, Any]) -> str:
    """A direct message that `to` will receive after everything published before it."""
    message_id: str = publish(hub, token, recipients=[to["id"]], content="marker")["id"]
    return message_id


def test_channel_messages_reach_exact_subscribers_only(shared_hub: HubProcess, unique: str) -> None:
    sender, sender_token = shared_hub.register(f"sender-{unique}")
    sub, sub_token = shared_hub.register(f"sub-{unique}")
    other, other_token = shared_hub.register(f"other-{unique}")
    with Peer(shared_hub, sub["id"], sub_token) as p_sub, Peer(shared_hub, other["id"], other_token) as p_other:
        p_sub.register(subscriptions=[f"{unique}-news"])
        p_other.register(subscriptions=[f"{unique}-sport"])
        news = publish(shared_hub, sender_token, channel=f"{unique}-news", content="news")
        publish(shared_hub, sender_token, channel=f"{unique}-newsx", content="similar name")
        sport = publish(shared_hub, sender_token, channel=f"{unique}-sport", content="sport")
        m_sub, m_other = _marker(shared_hub, sender_token, sub), _marker(shared_hub, sender_token, other)
        got_sub = p_sub.messages_until(m_sub)
        got_other = p_other.messages_until(m_other)
    assert _contents(got_sub) == ["news", "marker"]
    assert got_sub[0]["id"] == news["id"] and got_sub[0]["sender_id"] == sender["id"]
    assert got_sub[0]["channel"] == f"{unique}-news"
    assert _contents(got_other) == ["sport", "marker"]
    assert got_other[0]["seq"] == sport["seq"]


@pytest.mark.parametrize("how", ["websocket", "http"])
def test_scope_subscription_covers_the_scope_at_any_depth(shared_hub: HubProcess, unique: str, how: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    sub, sub_token = shared_hub.register(f"sub-{unique}")
    acme = f"{unique}acme"
    with Peer(shared_hub, sub["id"], sub_token) as peer:
        if how == "websocket":
            peer.register(subscriptions=[f"{acme}/*"])
        else:
            with shared_hub.client(sub_token) as http:
                response = http.post(f"/api/channels/{acme}/subscribe", json={"scope": True})
                assert response.json()["pattern"] == f"{acme}/*"
            peer.register()
        for channel in (acme, f"{acme}/x", f"{acme}x/y", f"{acme}/x/y", f"{acme}x", f"other/{acme}/x"):
            publish(shared_hub, sender_token, channel=channel, content=channel)
        got = peer.messages_until(_marker(shared_hub, sender_token, sub))
    assert _contents(got) == [f"{acme}/x", f"{acme}/x/y", "marker"]
    with shared_hub.client(sub_token) as http:
        assert _contents(http.get("/api/inbox").json()) == [f"{acme}/x", f"{acme}/x/y", "marker"]


def test_star_covers_every_channel(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    everything, token = shared_hub.register(f"all-{unique}")
    try:
        with Peer(shared_hub, everything["id"], token) as peer:
            peer.register(subscriptions=["*"])
            sent = [
                publish(shared_hub, sender_token, channel=channel, content=channel)["id"]
                for channel in (f"{unique}-a", f"{unique}/b", f"{unique}/b/c")
            ]
            got = peer.messages_until(_marker(shared_hub, sender_token, everything))
        mine = [m["id"] for m in got if m["id"] in sent]
        assert mine == sent
    finally:
        with shared_hub.client() as http:  # a "*" subscriber would count in every channel of the shared hub
            assert http.delete(f"/api/agents/{everything['id']}").status_code == 204


def test_a_sender_does_not_receive_its_own_message(shared_hub: HubProcess, unique: str) -> None:
    me, token = shared_hub.register(f"me-{unique}")
    _, other_token = shared_hub.register(f"other-{unique}")
    channel = f"{unique}-room"
    with Peer(shared_hub, me["id"], token) as peer:
        peer.register(subscriptions=[channel])
        own = peer.ack("message:send", {"channel": channel, "content": "mine"})
        publish(shared_hub, token, channel=channel, content="mine over http")
        publish(shared_hub, token, recipients=[me["id"]], content="to myself")
        theirs = publish(shared_hub, other_token, channel=channel, content="theirs")
        got = peer.messages_until(theirs["id"])
    assert _contents(got) == ["theirs"]
    assert own["seq"] < theirs["seq"]
    with shared_hub.client(token) as http:
        assert _contents(http.get("/api/inbox").json()) == ["theirs"]


def test_direct_messages_reach_only_their_recipients(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    bob, bob_token = shared_hub.register(f"bob-{unique}")
    carol, carol_token = shared_hub.register(f"carol-{unique}")
    dave, dave_token = shared_hub.register(f"dave-{unique}")
    with (
        Peer(shared_hub, bob["id"], bob_token) as p_bob,
        Peer(shared_hub, carol["name"], carol_token) as p_carol,
        Peer(shared_hub, dave["id"], dave_token) as p_dave,
    ):
        for peer in (p_bob, p_carol, p_dave):
            peer.register()
        direct = publish(shared_hub, sender_token, recipients=[bob["id"], carol["name"], bob["name"]], content="psst")
        assert direct["recipients"] == [bob["id"], carol["id"]]
        assert direct["channel"] is None
        got = {
            name: _contents(peer.messages_until(_marker(shared_hub, sender_token, agent)))
            for name, peer, agent in (("bob", p_bob, bob), ("carol", p_carol, carol), ("dave", p_dave, dave))
        }
    assert got == {"bob": ["psst", "marker"], "carol": ["psst", "marker"], "dave": ["marker"]}


def test_channel_and_recipients_reach_both_sets_once(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    both, both_token = shared_hub.register(f"both-{unique}")
    sub, sub_token = shared_hub.register(f"sub-{unique}")
    direct, direct_token = shared_hub.register(f"direct-{unique}")
    channel = f"{unique}-mixed"
    with (
        Peer(shared_hub, both["id"], both_token) as p_both,
        Peer(shared_hub, sub["id"], sub_token) as p_sub,
        Peer(shared_hub, direct["id"], direct_token) as p_direct,
    ):
        p_both.register(subscriptions=[channel, f"{unique}-x/*"])
        p_sub.register(subscriptions=[channel])
        p_direct.register()
        message = publish(shared_hub, sender_token, channel=channel, recipients=[both["id"], direct["id"]], content="m")
        for peer, agent in ((p_both, both), (p_sub, sub), (p_direct, direct)):
            got = peer.messages_until(_marker(shared_hub, sender_token, agent))
            assert [m["id"] for m in got] == [message["id"], got[-1]["id"]]
    for token in (both_token, sub_token, direct_token):
        with shared_hub.client(token) as http:
            assert _contents(http.get("/api/inbox").json()) == ["m", "marker"]


def test_a_new_subscriber_starts_from_now(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    late, late_token = shared_hub.register(f"late-{unique}")
    channel = f"{unique}/general"
    publish(shared_hub, sender_token, channel=channel, content="before")
    with shared_hub.client(late_token) as http:
        subscription = http.post(f"/api/channels/{channel}/subscribe").json()
        assert subscription["pattern"] == channel
        assert http.post(f"/api/channels/{channel}/subscribe").json() == subscription  # resubscribing keeps it
    publish(shared_hub, sender_token, channel=channel, content="after")
    with Peer(shared_hub, late["id"], late_token) as peer:
        peer.register(since=0)
        got = peer.messages_until(_marker(shared_hub, sender_token, late))
    assert _contents(got) == ["after", "marker"]
    with shared_hub.client(late_token) as http:
        assert _contents(http.get("/api/inbox").json()) == ["after", "marker"]
        assert [s["pattern"] for s in http.get("/api/subscriptions").json()] == [channel]


def test_unsubscribe_stops_delivery(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    sub, sub_token = shared_hub.register(f"sub-{unique}")
    channel = f"{unique}/a/b"
    with Peer(shared_hub, sub["id"], sub_token) as peer:
        peer.register(subscriptions=[channel])
        first = publish(shared_hub, sender_token, channel=channel, content="one")
        assert peer.message()["data"]["id"] == first["id"]
        assert peer.ack("channel:unsubscribe", {"channel": channel}) == {"pattern": channel, "removed": True}
        publish(shared_hub, sender_token, channel=channel, content="two")
        assert _contents(peer.messages_until(_marker(shared_hub, sender_token, sub))) == ["marker"]
        assert peer.ack("channel:subscribe", {"channel": channel})["pattern"] == channel
        publish(shared_hub, sender_token, channel=channel, content="three")
        assert _contents(peer.messages_until(_marker(shared_hub, sender_token, sub))) == ["three", "marker"]
    with shared_hub.client(sub_token) as http:
        response = http.post(f"/api/channels/{channel}/unsubscribe")
        assert response.json() == {"pattern": channel, "removed": True}
        assert http.post(f"/api/channels/{channel}/unsubscribe").json() == {"pattern": channel, "removed": False}
        assert http.get("/api/subscriptions").json() == []


def test_list_channels_counts_messages_and_subscribers(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    subs = [shared_hub.register(f"sub{i}-{unique}")[1] for i in range(3)]
    channel = f"{unique}/team/general"
    with shared_hub.client(subs[0]) as http:
        http.post(f"/api/channels/{channel}/subscribe").raise_for_status()
    with shared_hub.client(subs[1]) as http:
        http.post(f"/api/channels/{unique}/*/subscribe").raise_for_status()
    with shared_hub.client(subs[2]) as http:
        http.post(f"/api/channels/{unique}/other/subscribe").raise_for_status()
    last = [publish(shared_hub, sender_token, channel=channel, content=str(i)) for i in range(3)][-1]
    with shared_hub.client(sender_token) as http:
        channels = {c["name"]: c for c in http.get("/api/channels").json()}
    assert {k: v for k, v in channels[channel].items() if k != "created_at"} == {
        "name": channel,
        "message_count": 3,
        "last_seq": last["seq"],
        "subscribers": 2,
    }
    assert {k: v for k, v in channels[f"{unique}/other"].items() if k not in ("created_at", "last_seq")} == {
        "name": f"{unique}/other",
        "message_count": 0,
        "subscribers": 2,
    }
    assert f"{unique}/*" not in channels


def test_history_filters(shared_hub: HubProcess, unique: str) -> None:
    alice, alice_token = shared_hub.register(f"alice-{unique}")
    bob, bob_token = shared_hub.register(f"bob-{unique}")
    channel = f"{unique}-history"
    sent = []
    for i in range(6):
        token = alice_token if i % 2 == 0 else bob_token
        sent.append(publish(shared_hub, token, channel=channel, content=f"m{i}"))
    publish(shared_hub, alice_token, channel=f"{unique}-elsewhere", content="elsewhere")
    seqs = [m["seq"] for m in sent]

    def history(**params: Any) -> list[str]:
        with shared_hub.client(bob_token) as http:
            response = http.get("/api/messages", params={"channel": channel, **params})
        assert response.status_code == 200, response.text
        return _contents(response.json())

    assert history() == ["m0", "m1", "m2", "m3", "m4", "m5"]
    assert history(limit=2) == ["m4", "m5"]
    assert history(sender_id=alice["id"]) == ["m0", "m2", "m4"]
    assert history(sender_id=bob["id"], limit=1) == ["m5"]
    assert history(since=seqs[1]) == ["m2", "m3", "m4", "m5"]
    assert history(since=seqs[1], limit=2) == ["m2", "m3"]
    assert history(before=seqs[3]) == ["m0", "m1", "m2"]
    assert history(before=seqs[4], limit=2) == ["m2", "m3"]
    assert history(since=seqs[0], before=seqs[3]) == ["m1", "m2"]
    assert history(since=seqs[5]) == []
    with shared_hub.client(bob_token) as http:
        everywhere = _contents(http.get("/api/messages", params={"sender_id": alice["id"]}).json())
    assert everywhere == ["m0", "m2", "m4", "elsewhere"]


def test_recent_is_newest_last(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"writer-{unique}")
    sent = [publish(shared_hub, token, channel=f"{unique}-r{i % 2}", content=f"r{i}") for i in range(4)]
    with shared_hub.client(token) as http:
        recent = http.get("/api/messages/recent", params={"limit": 3}).json()
    assert [m["id"] for m in recent] == [m["id"] for m in sent[1:]]


def test_thread_fields_and_task_messages(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"writer-{unique}")
    channel = f"{unique}-threads"
    opener = publish(shared_hub, token, channel=channel, content="plan", title="The plan", thread_id=f"th-{unique}")
    reply = publish(shared_hub, token, channel=channel, content="agreed", thread_id=f"th-{unique}")
    publish(shared_hub, token, channel=channel, content="unrelated")
    on_task = [
        publish(shared_hub, token, channel=channel, content=f"progress {i}", task_id=f"task-{unique}", message_type=t)
        for i, t in enumerate(("status", "coordination"))
    ]
    assert (opener["title"], opener["thread_id"], reply["title"]) == ("The plan", f"th-{unique}", None)
    with shared_hub.client(token) as http:
        thread = http.get("/api/messages", params={"thread_id": f"th-{unique}"}).json()
        assert [m["id"] for m in thread] == [opener["id"], reply["id"]]
        task = http.get(f"/api/messages/task/task-{unique}").json()
        assert [(m["id"], m["task_id"], m["message_type"]) for m in task] == [
            (on_task[0]["id"], f"task-{unique}", "status"),
            (on_task[1]["id"], f"task-{unique}", "coordination"),
        ]
        assert http.get(f"/api/messages/task/task-{unique}", params={"limit": 1}).json()[0]["id"] == on_task[1]["id"]
        assert http.get("/api/messages/task/no-such-task").json() == []
        fetched = http.get(f"/api/messages/{opener['id']}").json()
    assert {k: fetched[k] for k in ("title", "thread_id", "content", "seq")} == {
        "title": "The plan",
        "thread_id": f"th-{unique}",
        "content": "plan",
        "seq": opener["seq"],
    }


def test_search(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"writer-{unique}")
    channel = f"{unique}-search"
    word = f"zebra{unique}"
    a = publish(shared_hub, token, channel=channel, content=f"the {word} crossed the road")
    b = publish(shared_hub, token, channel=channel, content="nothing here", title=f"About {word}")
    c = publish(shared_hub, token, channel=channel, content=f"a {word} and a giraffe")
    with shared_hub.client(token) as http:

        def search(q: str, **params: Any) -> list[str]:
            response = http.get("/api/search", params={"q": q, **params})
            assert response.status_code == 200, response.text
            return [m["id"] for m in response.json()]

        assert search(word) == [a["id"], b["id"], c["id"]]
        assert search(f"{word} giraffe") == [c["id"]]
        assert search(f"{word.upper()} ROAD") == [a["id"]]
        assert search(word, limit=2) == [b["id"], c["id"]]
        tricky = ['"', f'"{word}', f'{word}"', f'"{word} crossed"', "AND", "OR NOT", "NEAR(a b)", "*", "a:b", "-x"]
        for q in tricky:
            search(q)  # quotes and FTS syntax in the query never error
        assert search(f'"{word}" "crossed"') == [a["id"]]
        response = http.get("/api/search", params={"q": "   "})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "empty_query"


def test_dedup_over_http(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"writer-{unique}")
    _, other_token = shared_hub.register(f"other-{unique}")
    channel = f"{unique}-dedup"
    body = {"channel": channel, "content": "once", "msg_id": f"key-{unique}"}
    with shared_hub.client(token) as http:
        first = http.post("/api/messages", json=body)
        again = http.post("/api/messages", json={**body, "content": "changed"})
        batch = http.post("/api/messages/batch", json={"messages": [body, {**body, "msg_id": f"new-{unique}"}]})
    assert first.status_code == 201 and first.json()["duplicate"] is False
    assert again.status_code == 200
    assert {k: again.json()[k] for k in ("id", "seq", "content", "duplicate")} == {
        "id": first.json()["id"],
        "seq": first.json()["seq"],
        "content": "once",
        "duplicate": True,
    }
    repeated, fresh = batch.json()["messages"]
    assert (repeated["id"], repeated["duplicate"], fresh["duplicate"]) == (first.json()["id"], True, False)
    with shared_hub.client(other_token) as http:
        theirs = http.post("/api/messages", json=body)  # the same msg_id from another sender is its own message
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    with shared_hub.client(token) as http:
        stored = http.get("/api/messages", params={"channel": channel}).json()
    assert [(m["content"], m["msg_id"]) for m in stored] == [
        ("once", f"key-{unique}"),
        ("once", f"new-{unique}"),
        ("once", f"key-{unique}"),
    ]


def test_dedup_over_websocket(shared_hub: HubProcess, unique: str) -> None:
    me, token = shared_hub.register(f"writer-{unique}")
    other, other_token = shared_hub.register(f"other-{unique}")
    channel = f"{unique}-wsdedup"
    body = {"channel": channel, "content": "once", "msg_id": f"key-{unique}"}
    with Peer(shared_hub, me["id"], token) as peer, Peer(shared_hub, other["id"], other_token) as p_other:
        first = peer.ack("message:send", body)
        again = peer.ack("message:send", body)
        batch = peer.ack("message:send", {"messages": [body, body]})
        theirs = p_other.ack("message:send", body)
    assert first["duplicate"] is False
    assert again == {"id": first["id"], "seq": first["seq"], "duplicate": True}
    assert batch == {"messages": [again, again]}
    assert theirs["duplicate"] is False and theirs["seq"] > first["seq"]
    with shared_hub.client(token) as http:
        over_http = http.post("/api/messages", json=body)
        assert (over_http.status_code, over_http.json()["id"]) == (200, first["id"])
        assert len(http.get("/api/messages", params={"channel": channel}).json()) == 2


def test_seq_is_strictly_increasing_across_channels(shared_hub: HubProcess, unique: str) -> None:
    me, token = shared_hub.register(f"writer-{unique}")
    peer_agent, peer_token = shared_hub.register(f"peer-{unique}")
    seqs = [publish(shared_hub, token, channel=f"{unique}-c{i % 3}", content=str(i))["seq"] for i in range(9)]
    with Peer(shared_hub, me["id"], token) as peer:
        direct = {"recipients": [peer_agent["id"]]}
        seqs += [peer.ack("message:send", {**direct, "content": str(i)})["seq"] for i in range(9)]
    assert seqs == sorted(set(seqs))
    with shared_hub.client(peer_token) as http:
        inbox = [m["seq"] for m in http.get("/api/inbox").json()]
    assert inbox == seqs[9:]


def test_batch_publish_is_answered_in_order(shared_hub: HubProcess, unique: str) -> None:
    me, token = shared_hub.register(f"writer-{unique}")
    sub, sub_token = shared_hub.register(f"sub-{unique}")
    channels = [f"{unique}-b{i % 4}" for i in range(200)]
    with Peer(shared_hub, sub["id"], sub_token) as p_sub:
        p_sub.register(subscriptions=[f"{unique}-b0", f"{unique}-b2"])
        with shared_hub.client(token) as http:
            body = {"messages": [{"channel": c, "content": f"h{i}"} for i, c in enumerate(channels)]}
            over_http = http.post("/api/messages/batch", json=body).json()["messages"]
        with Peer(shared_hub, me["id"], token) as peer:
            items = [{"channel": c, "content": f"w{i}"} for i, c in enumerate(channels)]
            over_ws = peer.ack("message:send", {"messages": items})["messages"]
        got = p_sub.messages_until(_marker(shared_hub, token, sub))
    assert [m["content"] for m in over_http] == [f"h{i}" for i in range(200)]
    assert [m["channel"] for m in over_http] == channels
    all_seqs = [m["seq"] for m in over_http] + [m["seq"] for m in over_ws]
    assert all_seqs == list(range(all_seqs[0], all_seqs[0] + 400))  # one commit each, no gaps inside
    assert all(set(m) == {"id", "seq", "duplicate"} and m["duplicate"] is False for m in over_ws)
    expected = [f"h{i}" for i in range(0, 200, 2)] + [f"w{i}" for i in range(0, 200, 2)] + ["marker"]
    assert _contents(got) == expected
    with shared_hub.client(token) as http:
        stored = http.get("/api/messages", params={"channel": f"{unique}-b1", "limit": 1000}).json()
    assert [m["id"] for m in stored][50:] == [m["id"] for m in over_ws][1::4]


def test_websocket_batch_of_1001_is_refused(shared_hub: HubProcess, unique: str) -> None:
    me, token = shared_hub.register(f"writer-{unique}")
    with Peer(shared_hub, me["id"], token) as peer:
        frame = peer.request("message:send", {"messages": [{"channel": unique, "content": "x"}] * 1001})
        assert frame["type"] == "error"
        assert (frame["error"]["code"], frame["error"]["status"]) == ("invalid_batch", 422)
        assert peer.ack("message:send", {"messages": [{"channel": unique, "content": "x"}] * 1000})["messages"]
    with shared_hub.client(token) as http:
        assert len(http.get("/api/messages", params={"channel": unique, "limit": 1000}).json()) == 1000


def test_subscribing_over_http_reaches_a_live_connection(shared_hub: HubProcess, unique: str) -> None:
    _, sender_token = shared_hub.register(f"sender-{unique}")
    sub, sub_token = shared_hub.register(f"sub-{unique}")
    channel = f"{unique}/live"
    with Peer(shared_hub, sub["id"], sub_token) as peer:
        peer.register()
        publish(shared_hub, sender_token, channel=channel, content="too early")
        with shared_hub.client(sub_token) as http:
            http.post(f"/api/channels/{channel}/subscribe").raise_for_status()
        publish(shared_hub, sender_token, channel=channel, content="in time")
        assert _contents(peer.messages_until(_marker(shared_hub, sender_token, sub))) == ["in time", "marker"]
        with shared_hub.client(sub_token) as http:
            http.post(f"/api/channels/{channel}/unsubscribe").raise_for_status()
        publish(shared_hub, sender_token, channel=channel, content="too late")
        assert _contents(peer.messages_until(_marker(shared_hub, sender_token, sub))) == ["marker"]
