"""Board threads against a real hub."""

from __future__ import annotations

from tests.hubproc import HubProcess


def test_post_reply_read_and_list_by_channel(shared_hub: HubProcess, unique: str) -> None:
    author, author_token = shared_hub.register(f"author-{unique}")
    replier, replier_token = shared_hub.register(f"replier-{unique}")
    channel = f"{unique}/board"
    with shared_hub.client(author_token) as a, shared_hub.client(replier_token) as r:
        thread = a.post(
            "/api/threads",
            json={"title": "Deployment Complete", "content": "v2 is out", "priority": "high", "channel": channel},
        )
        assert thread.status_code == 201
        body = thread.json()
        assert (body["author_id"], body["priority"], body["channel"], body["reply_count"]) == (
            author["id"],
            "high",
            channel,
            0,
        )
        second = a.post("/api/threads", json={"title": "Later", "content": "", "channel": channel}).json()
        assert second["priority"] == "normal"
        for text in ("nice", "thanks"):
            assert r.post(f"/api/threads/{body['id']}/replies", json={"content": text}).status_code == 201
        full = r.get(f"/api/threads/{body['id']}").json()
        assert full["reply_count"] == 2
        assert [(x["author_id"], x["content"]) for x in full["replies"]] == [
            (replier["id"], "nice"),
            (replier["id"], "thanks"),
        ]
        listed = r.get("/api/threads", params={"channel": channel}).json()
        assert [t["id"] for t in listed] == [body["id"], second["id"]]  # newest last
        assert r.post("/api/threads/missing/replies", json={"content": "x"}).status_code == 404
        assert r.get("/api/threads/missing").status_code == 404
        assert a.post("/api/threads", json={"title": "t", "content": "c", "priority": "meh"}).status_code == 422
        assert a.post("/api/threads", json={"title": "t", "content": "c", "channel": "Bad Name"}).status_code == 422
