"""Helpers for the task tests: a small WebSocket reader and polling a hub's state with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import orjson
from websockets.sync.client import ClientConnection, connect

from tests.hubproc import HubProcess

T = TypeVar("T")


class Stream:
    """An agent's WebSocket: register, then read frames until one matches."""

    def __init__(self, hub: HubProcess, agent_id: str, token: str) -> None:
        self.ws: ClientConnection = connect(
            f"{hub.ws_url}/ws/{agent_id}", additional_headers={"Authorization": f"Bearer {token}"}
        ).__enter__()  # closed by close()
        self.frames: list[dict[str, Any]] = []
        self._ids = 0

    def request(self, kind: str, data: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        self._ids += 1
        request_id = f"r{self._ids}"
        self.ws.send(orjson.dumps({"type": kind, "id": request_id, "data": data}).decode())
        return self.wait(lambda f: f.get("id") == request_id, timeout)

    def register(self, **data: Any) -> dict[str, Any]:
        answer = self.request("agent:register", data)
        assert answer["type"] == "ack", answer
        return answer

    def wait(self, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        for frame in self.frames:
            if match(frame):
                self.frames.remove(frame)
                return frame
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching frame in {timeout}s; got {self.frames}")
            frame = orjson.loads(self.ws.recv(timeout=left))
            if match(frame):
                return frame
            self.frames.append(frame)

    def close(self) -> None:
        self.ws.close()


def poll(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Ask the hub (another process) until `check` answers, within a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)  # polling an external process's state, not a timing assumption


def task(http: httpx.Client, task_id: str) -> dict[str, Any]:
    response = http.get(f"/api/tasks/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def create(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = http.post("/api/tasks", json={"title": "a task", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def claim(
    http: httpx.Client, tags: list[str] | None = None, lease_seconds: float | None = None
) -> dict[str, Any] | None:
    """The claimed task, or None when no task is ready."""
    body: dict[str, Any] = {"tags": tags}
    if lease_seconds is not None:
        body["lease_seconds"] = lease_seconds
    response = http.post("/api/tasks/claim", json=body)
    assert response.status_code in (200, 204), response.text
    return None if response.status_code == 204 else dict(response.json())
