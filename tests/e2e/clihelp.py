"""Drive the INSTALLED `agenthub` executable as a subprocess against a live hub."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.hubproc import HubProcess

AGENTHUB = shutil.which("agenthub", path=str(Path(sys.executable).parent)) or shutil.which("agenthub")
assert AGENTHUB is not None, "the agenthub executable is not installed next to this Python"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def cli_env(hub: HubProcess | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTHUB_")}
    if hub is not None:
        env |= {"AGENTHUB_URL": hub.url, "AGENTHUB_DATA_DIR": str(hub.data_dir)}
    env |= {"COLUMNS": "200", **extra}
    return env


def cli(hub: HubProcess | None, *args: str, stdin: str | None = None, timeout: float = 60, **env: str) -> Result:
    assert AGENTHUB is not None
    proc = subprocess.run(
        [AGENTHUB, *args], input=stdin, capture_output=True, text=True, env=cli_env(hub, **env), timeout=timeout
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def ok(hub: HubProcess | None, *args: str, **kwargs: Any) -> Result:
    """Run and insist on exit 0 with nothing on stderr."""
    result = cli(hub, *args, **kwargs)
    assert result.code == 0, f"agenthub {' '.join(args)} exited {result.code}: {result.err}"
    assert result.err == "", result.err
    return result


def ok_json(hub: HubProcess | None, *args: str, **kwargs: Any) -> Any:
    return ok(hub, *args, "--json", **kwargs).json()


class Streaming:
    """A long-running `agenthub` process whose stdout lines are read with a deadline."""

    def __init__(self, hub: HubProcess, *args: str, **env: str) -> None:
        assert AGENTHUB is not None
        self.proc = subprocess.Popen(
            [AGENTHUB, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(hub, **env),
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read(self, n: int, timeout: float = 30) -> list[str]:
        got = []
        for _ in range(n):
            line = self.lines.get(timeout=timeout)
            assert line is not None, f"the process ended early: {self.finish()}"
            got.append(line)
        return got

    def finish(self, timeout: float = 30) -> Result:
        assert self.proc.stderr is not None
        code = self.proc.wait(timeout)
        rest = []
        while (line := self.lines.get(timeout=timeout)) is not None:
            rest.append(line)
        return Result(code, "\n".join(rest), self.proc.stderr.read())

    def __enter__(self) -> Streaming:
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()
