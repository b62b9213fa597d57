"""A small synchronous WebSocket peer for end-to-end tests: send requests, wait for frames, with deadlines."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import orjson
from websockets.sync.client import ClientConnection, connect

from tests.hubproc import HubProcess

Frame = dict[str, Any]
_ids = itertools.count(1)


class Peer:
    """One agent's WebSocket. Frames read while waiting for something else are kept, in order, in `frames`."""

    def __init__(self, hub: HubProcess, agent_id: str, token: str) -> None:
        self.agent_id = agent_id
        url = f"{hub.ws_url}/ws/{agent_id}"
        # Entered as a context manager (closed in `close`): websockets >= 17.1 warns about a bare connect().
        self.ws: ClientConnection = connect(
            url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10
        ).__enter__()
        self.frames: list[Frame] = []

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.ws.close()

    def send(self, kind: str, data: Any = None, request_id: Any = None) -> None:
        frame: dict[str, Any] = {"type": kind, "data": {} if data is None else data}
        if request_id is not None:
            frame["id"] = request_id
        self.ws.send(orjson.dumps(frame).decode())

    def send_raw(self, raw: str | bytes) -> None:
        self.ws.send(raw)

    def _read(self, deadline: float) -> Frame:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no frame arrived in time")
        frame: Frame = orjson.loads(self.ws.recv(timeout=remaining))
        return frame

    def wait_for(self, match: Callable[[Frame], bool], timeout: float = 10.0) -> Frame:
        """The first frame (already read or arriving) that matches; it is removed from `frames`."""
        for i, frame in enumerate(self.frames):
            if match(frame):
                return self.frames.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            frame = self._read(deadline)
            if match(frame):
                return frame
            self.frames.append(frame)

    def reply(self, request_id: Any, timeout: float = 10.0) -> Frame:
        """The `ack` or `error` frame answering `request_id`."""
        return self.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("id") == request_id, timeout)

    def request(self, kind: str, data: Any = None, timeout: float = 10.0) -> Frame:
        request_id = f"q{next(_ids)}"
        self.send(kind, data, request_id)
        return self.reply(request_id, timeout)

    def ack(self, kind: str, data: Any = None) -> dict[str, Any]:
        """Send a request that must succeed; returns the ack's data."""
        frame = self.request(kind, data)
        assert frame["type"] == "ack", frame
        result: dict[str, Any] = frame["data"]
        return result

    def register(self, since: int | None = None, subscriptions: list[str] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if since is not None:
            data["since"] = since
        if subscriptions is not None:
            data["subscriptions"] = subscriptions
        return self.ack("agent:register", data)

    def message(self, match: Callable[[Frame], bool] = lambda _: True, timeout: float = 10.0) -> Frame:
        """The next `message:received` frame whose data matches."""
        return self.wait_for(lambda f: f.get("type") == "message:received" and match(f["data"]), timeout)

    def messages_until(self, marker_id: str, timeout: float = 10.0) -> list[Frame]:
        """Every `message:received` data up to and including the message `marker_id`, in arrival order.

        Delivery is in seq order, so a message not seen before a later marker was not delivered."""
        seen: list[Frame] = []
        deadline = time.monotonic() + timeout
        pending = [f for f in self.frames if f.get("type") == "message:received"]
        self.frames = [f for f in self.frames if f.get("type") != "message:received"]
        while True:
            frame = pending.pop(0) if pending else self._read(deadline)
            if frame.get("type") != "message:received":
                self.frames.append(frame)
                continue
            seen.append(frame["data"])
            if frame["data"]["id"] == marker_id:
                return seen


def publish(hub: HubProcess, token: str, **body: Any) -> dict[str, Any]:
    """Publish over HTTP with an agent token; the stored message."""
    with hub.client(token) as http:
        response = http.post("/api/messages", json=body)
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message
