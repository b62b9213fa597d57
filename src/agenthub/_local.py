"""Where a local hub keeps its files, shared by the hub, the SDK, the CLI and the MCP server (no heavy imports):
the hub token, and the agent tokens that `--agent NAME` caches in `<data dir>/agents/<NAME>.token`."""

from __future__ import annotations

import os
import re
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"
TOKEN_FILE = "token"


def default_data_dir() -> Path:
    """`AGENTHUB_DATA_DIR`, or `~/.agenthub`."""
    return Path(os.environ.get("AGENTHUB_DATA_DIR") or Path.home() / ".agenthub").expanduser()


def read_local_token(data_dir: Path | None = None) -> str | None:
    """The hub token: `AGENTHUB_TOKEN`, else the token file a local hub wrote into its data dir."""
    if token := os.environ.get("AGENTHUB_TOKEN"):
        return token
    path = (data_dir or default_data_dir()) / TOKEN_FILE
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def default_url() -> str:
    """`AGENTHUB_URL`, or the local default."""
    return os.environ.get("AGENTHUB_URL") or DEFAULT_URL


AGENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}")
"""What `--agent` takes: a name that is also a safe file name for its cached token."""


def agent_token_path(data_dir: Path, name: str) -> Path:
    return data_dir / "agents" / f"{name}.token"


def read_agent_token(path: Path) -> str | None:
    """A cached agent token, or None when there is none (or it cannot be read)."""
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def save_agent_token(path: Path, token: str) -> None:
    """Cache an agent token, atomically and private (0600): a concurrent reader sees the old token or the new
    one, never half of one. Raises OSError when it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.replace(tmp, path)
