"""Where a local hub keeps its files, shared by the hub, the SDK and the CLI (no heavy imports)."""

from __future__ import annotations

import os
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
