"""Malformed, oversized and wrongly typed input gets the documented error, and changes nothing."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.exceptions import ConnectionClosed

from tests.e2e.wsutil import Frame, Peer
from tests.hubproc import HubProcess

MAX_BODY = 64 * 1024
MAX_CONTENT = 1024
MAX_FRAME = 4096
SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
DEEP: dict[str, Any] = {}
for _ in range(300):  # deeper than the hub can store
    DEEP = {"a": DEEP}


@pytest.fixture(scope="module")
def small_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub with small limits, of this module's own, so its stored-message count is known."""
    env = {
        "AGENTHUB_MAX_BODY_BYTES": str(MAX_BODY),
        "AGENTHUB_MAX_CONTENT_BYTES": str(MAX_CONTENT),
        "AGENTHUB_MAX_FRAME_BYTES": str(MAX_FRAME),
    }
    hub = HubProcess(tmp_path_factory.mktemp("small-hub"), env=env).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def agent(small_hub: HubProcess) -> tuple[dict[str, Any], str]:
    return small_hub.register("bad-input-agent")


def assert_error_body(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The exact §1 shape: `{"error": {"code": snake_case, "message": a sentence, "details": ...}}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert SNAKE.fullmatch(error["code"]), error["code"]
    assert isinstance(error["message"], str) and len(error["message"]) > 5
    if code is not None:
        assert error["code"] == code
    return error


def stored_messages(hub: HubProcess) -> int:
    with hub.client() as http:
        count: int = http.get("/api/status").json()["messages"]
    return count


def test_malformed_json_is_400(small_hub: HubProcess, agent: tuple[dict[str, Any], str]) -> None:
    before = stored_messages(small_hub)
    with small_hub.client(agent[1]) as http:
        for raw in (b'{"content": "x", "channel": ', b"not json at all", b'{"content": "x",}'):
            response = http.post("/api/messages", content=raw, headers={"Content-Type": "application/json"})
            assert_error_body(response, 400, "malformed_json")
        response = http.post("/api/messages/batch", content=b"[", headers={"Content-Type": "application/json"})
        assert_error_body(response, 400, "malformed_json")
    assert stored_messages(small_hub) == before


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/api/messages", {"channel": "general", "content": 5}, ["body", "content"]),
        ("/api/messages", {"channel": "general"}, ["body", "content"]),
        ("/api/messages", {"channel": "Bad Name", "content": "x"}, ["body", "channel"]),
        ("/api/messages", {"channel": "/general", "content": "x"}, ["body", "channel"]),
        ("/api/messages", {"channel": "a" * 129, "content": "x"}, ["body", "channel"]),
        ("/api/messages", {"channel": "general", "content": "x", "message_type": "shout"}, ["body", "message_type"]),
        ("/api/messages", {"channel": "general", "content": "x", "recipients": "bob"}, ["body", "recipients"]),
        ("/api/messages", {"channel": "general", "content": "x", "metadata": []}, ["body", "metadata"]),
        ("/api/messages", {"channel": "general", "content": "x", "msg_id": ""}, ["body", "msg_id"]),
        ("/api/messages", ["not", "an", "object"], ["body"]),
        ("/api/messages", {"channel": "general", "content": "x", "metadata": {"n": 2**70}}, ["body", "metadata"]),
        ("/api/messages", {"channel": "general", "content": "x", "metadata": DEEP}, ["body", "metadata"]),
        ("/api/agents/register", {"name": "deep", "metadata": DEEP}, ["body", "metadata"]),
        ("/api/messages/batch", {"messages": []}, ["body", "messages"]),
        ("/api/messages/batch", {"messages": [{"content": "x", "channel": "general"}, {"content": 1}]}, None),
        ("/api/agents/register", {"name": "has space"}, ["body", "name"]),
        ("/api/agents/register", {"name": "x", "capabilities": "all"}, ["body", "capabilities"]),
        ("/api/inbox/ack", {"seq": -1}, ["body", "seq"]),
        ("/api/inbox/ack", {"seq": "ten"}, ["body", "seq"]),
    ],
)
def test_invalid_fields_are_422_with_details(
    small_hub: HubProcess, agent: tuple[dict[str, Any], str], path: str, body: Any, where: list[str] | None
) -> None:
    before = stored_messages(small_hub)
    token = small_hub.token if path.startswith("/api/agents") else agent[1]
    with small_hub.client(token) as http:
        error = assert_error_body(http.post(path, json=body), 422)
    assert isinstance(error["details"], list) and error["details"]
    assert all(set(d) == {"loc", "type", "msg"} for d in error["details"])
    if where is not None:
        assert error["details"][0]["loc"][: len(where)] == where
    assert stored_messages(small_hub) == before


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/messages", {"limit": 1001}),
        ("/api/messages", {"limit": 0}),
        ("/api/messages", {"since": -1}),
        ("/api/messages", {"before": "yesterday"}),
        ("/api/messages/recent", {"limit": 5000}),
        ("/api/inbox", {"wait": -1}),
        ("/api/search", {"limit": 1001, "q": "x"}),
        ("/api/search", {}),
        ("/api/agents", {"limit": 1001}),
    ],
)
def test_invalid_query_parameters_are_422(
    small_hub: HubProcess, agent: tuple[dict[str, Any], str], path: str, params: dict[str, Any]
) -> None:
    with small_hub.client(agent[1]) as http:
        error = assert_error_body(http.get(path, params=params), 422)
    assert error["details"] and error["details"][0]["loc"][0] == "query"


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b'{"channel": "general", "content": "lone \\ud800"}', ["body", "content"]),
        (b'{"channel": "general", "content": "x", "title": "\\udfff"}', ["body", "title"]),
        (b'{"channel": "general", "content": "x", "metadata": {"\\ud800": 1}}', ["body", "metadata"]),
        (b'{"channel": "general", "content": "x", "recipients": ["\\ud800"]}', ["body", "recipients", 0]),
    ],
)
def test_lone_surrogates_are_422(
    small_hub: HubProcess, agent: tuple[dict[str, Any], str], raw: bytes, where: list[Any]
) -> None:
    """JSON escapes can carry text that is not Unicode; the hub refuses it instead of failing to store it."""
    before = stored_messages(small_hub)
    with small_hub.client(agent[1]) as http:
        response = http.post("/api/messages", content=raw, headers={"Content-Type": "application/json"})
    assert assert_error_body(response, 422)["details"][0]["loc"] == where
    assert stored_messages(small_hub) == before


def test_no_target_and_unknown_recipient(small_hub: HubProcess, agent: tuple[dict[str, Any], str]) -> None:
    before = stored_messages(small_hub)
    with small_hub.client(agent[1]) as http:
        assert_error_body(http.post("/api/messages", json={"content": "to nobody"}), 422, "missing_target")
        response = http.post("/api/messages", json={"content": "x", "recipients": ["nobody-by-that-name"]})
        assert_error_body(response, 404, "agent_not_found")
        batch = {"messages": [{"content": "ok", "channel": "general"}, {"content": "x", "recipients": ["ghost"]}]}
        assert_error_body(http.post("/api/messages/batch", json=batch), 404, "agent_not_found")
    assert stored_messages(small_hub) == before


def test_a_body_over_the_limit_is_413(small_hub: HubProcess, agent: tuple[dict[str, Any], str]) -> None:
    before = stored_messages(small_hub)
    huge = {"channel": "general", "content": "x" * (MAX_BODY + 10)}
    with small_hub.client(agent[1]) as http:
        assert_error_body(http.post("/api/messages", json=huge), 413, "body_too_large")

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
            yield b'{"channel": "general", "content": "'
            for _ in range(MAX_BODY // 1024 + 2):
                yield b"x" * 1024
            yield b'"}'

        response = http.post("/api/messages", content=chunks(), headers={"Content-Type": "application/json"})
        assert_error_body(response, 413, "body_too_large")
    # The same, all of it in one write: the hub has the whole body at once, with no length declared.
    body = orjson.dumps(huge)
    head = (
        f"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {agent[1]}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", small_hub.port)) as sock:
        sock.sendall(head.encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b'"code":"body_too_large"' in answer, answer[:300]
    assert stored_messages(small_hub) == before


def test_content_over_the_limit_is_413(small_hub: HubProcess, agent: tuple[dict[str, Any], str]) -> None:
    before = stored_messages(small_hub)
    with small_hub.client(agent[1]) as http:
        response = http.post("/api/messages", json={"channel": "general", "content": "x" * (MAX_CONTENT + 1)})
        assert_error_body(response, 413, "content_too_large")
        wide = "é" * (MAX_CONTENT // 2 + 1)  # under the limit in characters, over it in UTF-8 bytes
        assert_error_body(http.post("/api/messages", json={"channel": "general", "content": wide}), 413)
        batch = {"messages": [{"channel": "general", "content": "fine"}, {"channel": "general", "content": wide}]}
        assert_error_body(http.post("/api/messages/batch", json=batch), 413, "content_too_large")
        exact = http.post("/api/messages", json={"channel": "general", "content": "x" * MAX_CONTENT})
        assert exact.status_code == 201
    assert stored_messages(small_hub) == before + 1


def test_a_batch_of_1001_is_422(small_hub: HubProcess, agent: tuple[dict[str, Any], str]) -> None:
    before = stored_messages(small_hub)
    batch = {"messages": [{"channel": "general", "content": str(i)} for i in range(1001)]}
    with small_hub.client(agent[1]) as http:
        error = assert_error_body(http.post("/api/messages/batch", json=batch), 422)
    assert error["details"][0]["loc"] == ["body", "messages"]
    assert stored_messages(small_hub) == before


def test_unknown_route_and_wrong_method(small_hub: HubProcess, agent: tuple[dict[str, Any], str]) -> None:
    with small_hub.client(agent[1]) as http:
        error = assert_error_body(http.get("/api/nothing-here"), 404, "not_found")
        assert "/api/nothing-here" in error["message"]
        assert_error_body(http.post("/no/such/route", json={}), 404, "not_found")
        error = assert_error_body(http.put("/api/messages", json={}), 405, "method_not_allowed")
        assert "PUT" in error["message"]
        assert_error_body(http.delete("/api/channels"), 405, "method_not_allowed")
        assert_error_body(http.get("/api/messages/no-such-id"), 404, "message_not_found")
        assert_error_body(http.get("/api/agents/no-such-agent"), 404, "agent_not_found")


# -- the WebSocket ---------------------------------------------------------------------------------------


def _error_frame(peer: Peer, request_id: Any = None) -> Frame:
    frame = peer.wait_for(lambda f: f.get("type") == "error")
    if request_id is None:
        assert "id" not in frame, frame
    else:
        assert frame["id"] == request_id
    assert set(frame) == ({"type", "error", "id"} if request_id is not None else {"type", "error"})
    assert set(frame["error"]) == {"code", "message", "details", "status"}
    assert SNAKE.fullmatch(frame["error"]["code"])
    return frame


def _still_answers(peer: Peer) -> None:
    assert peer.ack("agent:heartbeat")["status"] in ("online", "busy")


BAD_FRAMES: list[tuple[str, str | bytes, Any, str]] = [
    ("invalid-json", '{"type": "agent:heartbeat", ', None, "malformed_frame"),
    ("array", '["agent:heartbeat"]', None, "malformed_frame"),
    ("number", "42", None, "malformed_frame"),
    ("missing-type", '{"id": "m1", "data": {}}', "m1", "malformed_frame"),
    ("non-string-type", '{"type": 7, "id": "m2", "data": {}}', "m2", "malformed_frame"),
    ("unknown-type", '{"type": "no:such", "id": "m3", "data": {}}', "m3", "unknown_event"),
    ("data-not-object", '{"type": "message:send", "id": "m4", "data": [1]}', "m4", "malformed_frame"),
    ("bad-id", '{"type": "agent:heartbeat", "id": {"x": 1}}', None, "malformed_frame"),
    ("binary", b'{"type": "agent:heartbeat"}', None, "binary_frame"),
    ("too-large", '{"type": "message:send", "data": {"content": "' + "x" * MAX_FRAME + '"}}', None, "frame_too_large"),
    (
        "send-wrong-types",
        '{"type": "message:send", "id": 5, "data": {"channel": 3, "content": []}}',
        5,
        "invalid_field",
    ),
    ("send-no-target", '{"type": "message:send", "id": "m6", "data": {"content": "x"}}', "m6", "missing_target"),
    ("send-bad-batch", '{"type": "message:send", "id": "m7", "data": {"messages": "x"}}', "m7", "invalid_batch"),
    ("ack-wrong-type", '{"type": "message:ack", "id": "m8", "data": {"seq": "1"}}', "m8", "invalid_seq"),
    ("read-wrong-type", '{"type": "message:read", "id": "m9", "data": {}}', "m9", "invalid_field"),
    (
        "send-too-deep",
        '{"type": "message:send", "id": "m11", "data": {"channel": "c", "content": "x", "metadata": '
        + '{"a": ' * 300
        + "1"
        + "}" * 300
        + "}}",
        "m11",
        "invalid_field",
    ),
    (
        "send-surrogate",
        '{"type": "message:send", "id": "m12", "data": {"channel": "c", "content": "\\ud800"}}',
        None,
        "malformed_frame",
    ),
    ("subscribe-bad-name", '{"type": "channel:subscribe", "id": "m10", "data": {"channel": "A B"}}', "m10", None),
    ("register-twice", '{"type": "agent:register", "id": "m13", "data": {}}', "m13", "already_registered"),
    ("ack-negative", '{"type": "message:ack", "id": "m14", "data": {"seq": -1}}', "m14", "invalid_seq"),
]


def test_bad_websocket_frames_get_an_error_and_the_connection_stays(small_hub: HubProcess) -> None:
    before = stored_messages(small_hub)
    me, token = small_hub.register("ws-bad-input")
    other, other_token = small_hub.register("ws-bystander")
    with Peer(small_hub, me["id"], token) as peer, Peer(small_hub, other["id"], other_token) as bystander:
        peer.register()
        bystander.register(subscriptions=["bystanders"])
        for name, raw, request_id, code in BAD_FRAMES:
            peer.send_raw(raw)
            frame = _error_frame(peer, request_id)
            if code is not None:
                assert frame["error"]["code"] == code, name
            _still_answers(peer)
        assert stored_messages(small_hub) == before
        # Neither this connection nor any other was hurt.
        sent = peer.ack("message:send", {"channel": "bystanders", "content": "still here"})
        assert bystander.message(lambda m: m["id"] == sent["id"])["data"]["content"] == "still here"
        assert bystander.ack("agent:heartbeat")["status"] == "online"
    assert stored_messages(small_hub) == before + 1


def test_a_frame_far_over_the_limit_closes_only_that_connection(small_hub: HubProcess) -> None:
    """Up to 4x the limit a frame is read and refused with an error frame; past that the transport closes (1009)."""
    me, token = small_hub.register("ws-huge-frame")
    other, other_token = small_hub.register("ws-huge-bystander")
    with Peer(small_hub, me["id"], token) as peer, Peer(small_hub, other["id"], other_token) as bystander:
        peer.register()
        bystander.register()
        peer.send_raw('{"type": "message:send", "data": {"content": "' + "x" * (MAX_FRAME * 4) + '"}}')
        with pytest.raises(ConnectionClosed):
            peer.wait_for(lambda f: False)
        assert peer.ws.close_code == 1009
        assert bystander.ack("agent:heartbeat")["status"] == "online"


def test_register_with_a_bad_subscription_subscribes_to_nothing(small_hub: HubProcess) -> None:
    me, token = small_hub.register("ws-bad-subscriptions")
    with Peer(small_hub, me["id"], token) as peer:
        refused = peer.request("agent:register", {"subscriptions": ["good-one", "Bad Name"]})
        assert (refused["type"], refused["error"]["code"]) == ("error", "invalid_channel")
        with small_hub.client(token) as http:
            assert http.get("/api/subscriptions").json() == []
        assert peer.register(subscriptions=["good-one"])["subscriptions"] == ["good-one"]
