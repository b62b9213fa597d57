"""Tokens and actors: who is making a request."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from agenthub._local import TOKEN_FILE

OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Actor:
    """The identity behind a token: an agent, or the operator (a person, the dashboard)."""

    agent_id: str | None
    name: str

    @property
    def is_operator(self) -> bool:
        return self.agent_id is None


OPERATOR_ACTOR = Actor(agent_id=None, name=OPERATOR)


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    """Agent tokens are stored as SHA-256 digests: they are long random strings, so no salt or stretching is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def ensure_hub_token(data_dir: Path, configured: str | None) -> str:
    """The configured hub token, or the one in `<data_dir>/token`, generated (mode 0600) on first start.
    The data dir itself is created private (0700)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if configured:
        return configured
    path = data_dir / TOKEN_FILE
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    token = new_token("hub")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    return token
