"""Who a command acts as and where the hub is: the global options, agent identity and its token cache.

`--agent NAME` registers (or reuses) that agent with the hub token and caches the agent token in
`<data dir>/agents/<NAME>.token` (mode 0600); the cached token is reused while the hub accepts it and
replaced when the hub answers 401. Without `--agent`, commands act as the operator with the hub token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agenthub._local import (
    AGENT_NAME,
    agent_token_path,
    default_data_dir,
    default_url,
    read_agent_token,
    read_local_token,
    save_agent_token,
)

if TYPE_CHECKING:
    from agenthub.client.sync_client import Client

AGENT_TYPE = "cli"

JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout instead of a table")]


class CliError(Exception):
    """A failure the CLI explains in one line on stderr (exit code 1)."""


class UsageProblem(Exception):
    """Bad usage that argument parsing cannot catch (exit code 2)."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(message)
        self.command = command


@dataclass(frozen=True)
class Options:
    """The global options of one `agenthub` invocation."""

    hub: str
    token: str | None
    agent: str | None
    data_dir: Path

    def hub_token(self) -> str:
        token = self.token or read_local_token(self.data_dir)
        if token is None:
            raise CliError(
                f"no hub token: pass --token or set AGENTHUB_TOKEN (a local hub writes it to {self.data_dir / 'token'})"
            )
        return token

    def token_path(self, name: str) -> Path:
        return agent_token_path(self.data_dir, name)


_current: Options | None = None


def configure(hub: str | None, token: str | None, agent: str | None, data_dir: Path | None) -> Options:
    global _current
    if agent and not AGENT_NAME.fullmatch(agent):
        raise UsageProblem(f"--agent {agent!r} is not an agent name: letters, digits and . _ @ : - (at most 128)", "")
    _current = Options(
        hub=(hub or default_url()).rstrip("/"),
        token=token or None,
        agent=agent or None,
        data_dir=(data_dir or default_data_dir()).expanduser(),
    )
    return _current


def current() -> Options:
    """The options of this invocation (the root callback sets them before any command runs)."""
    return _current if _current is not None else configure(None, None, None, None)


def hub_url() -> str:
    return current().hub


def client(timeout: float = 30.0) -> Client:
    """A sync client acting as `--agent` (registered or reused) or, without it, as the operator."""
    from agenthub.client.sync_client import Client

    opts = current()
    if opts.agent is None:
        return Client(opts.hub, token=opts.hub_token(), timeout=timeout)
    cached = read_agent_token(opts.token_path(opts.agent))
    if cached is not None:
        agent_client = Client(opts.hub, token=cached, timeout=timeout)
        try:
            if _reuse(agent_client, opts.agent):
                return agent_client
        except BaseException:
            agent_client.close()
            raise
        agent_client.close()
    agent_client = Client(opts.hub, token=opts.hub_token(), timeout=timeout)
    try:
        register(agent_client, opts.agent)
    except BaseException:
        agent_client.close()
        raise
    _save_token(opts, opts.agent, agent_client.token or "")
    return agent_client


def require_agent() -> str:
    name = current().agent
    if name is None:
        raise CliError("this command needs an agent: pass --agent NAME or set AGENTHUB_AGENT")
    return name


def register(operator: Client, name: str) -> None:
    """Register `name` with the hub token, keeping the type, capabilities and metadata of an existing agent
    (registering again overwrites them)."""
    from agenthub.errors import NotFound

    try:
        existing = operator.get_agent(name)
    except NotFound:
        operator.register(name, AGENT_TYPE)
        return
    if existing.name != name:  # `name` was another agent's id
        raise CliError(f"--agent takes a name, and {name!r} is the id of agent {existing.name!r}")
    operator.register(name, existing.type, capabilities=existing.capabilities, metadata=existing.metadata)


def _reuse(agent_client: Client, name: str) -> bool:
    from agenthub.errors import Unauthorized

    try:
        me = agent_client.whoami()
    except Unauthorized:
        return False
    if me is None or me.name != name:
        return False
    agent_client.agent = me
    return True


def _save_token(opts: Options, name: str, token: str) -> None:
    path = opts.token_path(name)
    try:
        save_agent_token(path, token)
    except OSError as exc:  # the command still works; the next one registers again
        typer.echo(f"agenthub: warning: could not cache the agent token in {path}: {exc.strerror}", err=True)


def parse_value(text: str) -> Any:
    """A value given on the command line: JSON when it parses as JSON (`42`, `true`, `{"a": 1}`), else the text."""
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def resolve_id(ref: str, ids: Iterable[str], kind: str) -> str:
    """An id given in full or by a unique prefix (tables show the first 8 characters)."""
    candidates = list(dict.fromkeys(ids))
    if ref in candidates:
        return ref
    matches = [candidate for candidate in candidates if candidate.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CliError(f"no {kind} has an id starting with {ref!r}")
    raise CliError(f"{len(matches)} {kind}s have ids starting with {ref!r}: give more of the id")
