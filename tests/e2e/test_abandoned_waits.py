"""A request that waits (a long poll, a blocking lock) and whose client goes away while it waits must do
nothing on the client's behalf afterwards: no delivery noted for an inbox nobody reads, no lock taken for a
holder who is gone (`server/waits.py`)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from tests.hubproc import HubProcess


def waiting(hub: HubProcess) -> int:
    """The hub's `agenthub_waiting_requests` gauge."""
    with hub.client() as http:
        for line in http.get("/metrics").text.splitlines():
            if line.startswith("agenthub_waiting_requests "):
                return int(line.split()[1])
    raise AssertionError("/metrics has no agenthub_waiting_requests")


def until_waiting(hub: HubProcess, count: int) -> None:
    deadline = time.monotonic() + 10
    while waiting(hub) != count:
        assert time.monotonic() < deadline, f"the hub never had {count} requests waiting"
        time.sleep(0.02)  # polling the hub (another process) with a deadline


def response(sock: socket.socket) -> str:
    """One whole HTTP response (head and a body of `content-length` bytes) read from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return (head + b"\r\n\r\n" + body).decode()


def raw_request(hub: HubProcess, method: str, path: str, token: str, body: Any = None) -> socket.socket:
    """A request sent over a socket of its own, so the test can close it while the hub waits."""
    payload = b"" if body is None else orjson.dumps(body)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json, text/event-stream\r\n"  # what an MCP client sends to `/mcp`
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", hub.port))
    sock.sendall(head.encode() + payload)
    return sock


@contextmanager
def abandoned(hub: HubProcess, method: str, path: str, token: str, body: Any = None) -> Iterator[None]:
    """Send a request; once the hub waits on it, close the connection; enter when the hub stopped waiting."""
    before = waiting(hub)
    with raw_request(hub, method, path, token, body):
        until_waiting(hub, before + 1)
    until_waiting(hub, before)
    yield


def test_a_long_poll_abandoned_by_its_client_notes_no_delivery(shared_hub: HubProcess, unique: str) -> None:
    reader, reader_token = shared_hub.register(f"reader-{unique}")
    _, sender_token = shared_hub.register(f"sender-{unique}")
    with (
        abandoned(shared_hub, "GET", "/api/inbox?wait=30", reader_token),
        shared_hub.client(sender_token) as sender,
        shared_hub.client(reader_token) as reader_http,
    ):
        sent = sender.post("/api/messages", json={"recipients": [reader["id"]], "content": "anyone?"}).json()
        [receipt] = sender.get(f"/api/messages/{sent['id']}").json()["receipts"]
        assert receipt == {"agent_id": reader["id"], "delivered_at": None, "read_at": None}

        [received] = reader_http.get("/api/inbox", params={"wait": 5}).json()  # a reader that stays is noted
        assert received["id"] == sent["id"]
        deadline = time.monotonic() + 5
        while sender.get(f"/api/messages/{sent['id']}").json()["receipts"][0]["delivered_at"] is None:
            assert time.monotonic() < deadline, "the delivery to a reader that stayed was never noted"
            time.sleep(0.05)  # polling the hub (another process) with a deadline


def test_an_mcp_inbox_wait_abandoned_by_its_client_reads_nothing(shared_hub: HubProcess, unique: str) -> None:
    """`read_inbox` over the hub's `/mcp` marks what it returns as read; a client gone must not lose messages."""
    reader, reader_token = shared_hub.register(f"mcp-reader-{unique}")
    _, sender_token = shared_hub.register(f"mcp-sender-{unique}")
    read_inbox = {"name": "read_inbox", "arguments": {"wait_seconds": 30}}
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": read_inbox}
    with (
        abandoned(shared_hub, "POST", "/mcp", reader_token, call),
        shared_hub.client(sender_token) as sender,
        shared_hub.client(reader_token) as reader_http,
    ):
        sent = sender.post("/api/messages", json={"recipients": [reader["id"]], "content": "still there?"})
        assert [m["id"] for m in reader_http.get("/api/inbox").json()] == [sent.json()["id"]]


def test_a_blocking_lock_abandoned_by_its_client_is_not_taken(shared_hub: HubProcess, unique: str) -> None:
    _, holder_token = shared_hub.register(f"holder-{unique}")
    _, waiter_token = shared_hub.register(f"waiter-{unique}")
    resource = f"{unique}/src/app.py"
    with shared_hub.client(holder_token) as holder:
        held = holder.post("/api/locks", json={"resource": resource, "ttl_seconds": 60})
        assert held.status_code == 201
        with abandoned(shared_hub, "POST", "/api/locks", waiter_token, {"resource": resource, "wait_seconds": 30}):
            assert holder.delete(f"/api/locks/{held.json()['id']}").status_code == 204
        assert holder.get("/api/locks", params={"resource": resource}).json() == []
        again = holder.post("/api/locks", json={"resource": resource, "ttl_seconds": 60})
        assert again.status_code == 201  # free, not held for the waiter who left


def test_a_waiting_request_that_is_answered_leaves_the_gauge(shared_hub: HubProcess, unique: str) -> None:
    _, asker_token = shared_hub.register(f"asker-{unique}")
    with shared_hub.client(asker_token) as asker, shared_hub.client(shared_hub.token) as operator:
        asked = asker.post("/api/approvals", json={"action": f"deploy {unique}"})
        assert asked.status_code == 201, asked.text
        before = waiting(shared_hub)
        with raw_request(shared_hub, "GET", f"/api/approvals/{asked.json()['id']}?wait=30", asker_token) as sock:
            until_waiting(shared_hub, before + 1)
            assert operator.post(f"/api/approvals/{asked.json()['id']}/approve", json={}).status_code == 200
            answer = response(sock)
        assert answer.startswith("HTTP/1.1 200") and '"status":"approved"' in answer
        until_waiting(shared_hub, before)
