"""A real hub process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_refused(
    data_dir: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `agenthub serve` where it is expected to refuse to start: its exit code, stdout and stderr."""
    cmd = [sys.executable, "-m", "agenthub", "serve", "--data-dir", str(data_dir), "--port", str(port or free_port())]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, env=env, check=False)


@dataclass
class HubProcess:
    data_dir: Path
    port: int = field(default_factory=free_port)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    """Run this instead of `agenthub serve` (it must serve on `port` with `data_dir`)."""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    @property
    def log_path(self) -> Path:
        return self.data_dir / "hub.log"

    def start(self, timeout: float = 20.0) -> HubProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTHUB_")}
        env.update(self.env)
        cmd = self.command or [
            *(sys.executable, "-m", "agenthub", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)),
            *("--log-level", "warning", *self.args),
        ]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)  # readiness poll of a starting process, not a timing assumption
        raise RuntimeError(f"hub did not start in {timeout}s:\n{self.log_path.read_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.proc = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> HubProcess:
        if self.proc is not None:
            self.stop()
        return self.start()

    def client(self, token: str | None = None) -> httpx.Client:
        # verify=False: plain HTTP on loopback needs no CA bundle, and loading one costs ~0.1 s per client.
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=False)

    def register(self, name: str, **fields: Any) -> tuple[dict[str, Any], str]:
        """Register an agent with the hub token; returns (agent, agent token)."""
        with self.client() as http:
            response = http.post("/api/agents/register", json={"name": name, **fields})
            response.raise_for_status()
            body = response.json()
        return body["agent"], body["token"]
