"""Which agent an MCP server or a hook acts as: `--agent NAME` becomes an agent token.

The token is cached in `<data dir>/agents/<NAME>.token` (0600) and reused while the hub accepts it;
otherwise the agent is registered (or re-registered, keeping its type, capabilities and metadata)
with the hub token and the new token is cached. `AGENTHUB_AGENT_TOKEN` skips all of this.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from agenthub._local import (
    AGENT_NAME,
    agent_token_path,
    default_data_dir,
    default_url,
    read_agent_token,
    read_local_token,
    save_agent_token,
)
from agenthub.errors import InvalidField, NotFound, Unauthorized

AGENT_TYPE = "llm"


@dataclass(frozen=True)
class Identity:
    """Where the hub is and the agent token to act with."""

    server_url: str
    name: str
    token: str


def resolve(
    name: str,
    *,
    server_url: str | None = None,
    hub_token: str | None = None,
    agent_token: str | None = None,
    data_dir: Path | None = None,
    timeout: float = 30.0,
) -> Identity:
    """The agent token for `name`: given, cached and still valid, or freshly registered (then cached)."""
    from agenthub.client import Client

    if not AGENT_NAME.fullmatch(name):
        raise InvalidField(f"agent name {name!r} must match [A-Za-z0-9][A-Za-z0-9._@:-]*", code="invalid_name")
    url = (server_url or default_url()).rstrip("/")
    if agent_token:
        return Identity(url, name, agent_token)
    data_dir = (data_dir or default_data_dir()).expanduser()
    path = agent_token_path(data_dir, name)
    cached = read_agent_token(path)
    if cached is not None:
        with Client(url, token=cached, timeout=timeout) as client:
            try:
                me = client.whoami()
            except Unauthorized:
                me = None
        if me is not None and me.name == name:
            return Identity(url, name, cached)
    hub = hub_token or read_local_token(data_dir)
    if hub is None:
        raise Unauthorized(
            f"no hub token to register agent {name!r}: set AGENTHUB_TOKEN or run the hub with this data dir "
            f"({data_dir})",
            code="no_token",
        )
    with Client(url, token=hub, timeout=timeout) as operator:
        try:
            existing = operator.get_agent(name)
        except NotFound:
            existing = None
        if existing is None or existing.name != name:  # (a name that is another agent's id is still a new name)
            operator.register(name, AGENT_TYPE)
        else:
            operator.register(name, existing.type, capabilities=existing.capabilities, metadata=existing.metadata)
        token = operator.token or ""
    with contextlib.suppress(OSError):  # not cached: the next start registers again
        save_agent_token(path, token)
    return Identity(url, name, token)
