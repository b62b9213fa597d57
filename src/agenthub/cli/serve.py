"""`agenthub serve`: run the hub."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import socket
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from agenthub.cli.app import app

if TYPE_CHECKING:
    import uvicorn


def dashboard_url(host: str, port: int, token: str) -> str:
    """The address that opens the dashboard logged in as the operator (the page then drops the token from it)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/?token={quote(token, safe='')}"


GC_THRESHOLDS = (50_000, 20, 10)
"""The collector's thresholds while serving, instead of Python's (700, 10, 10): see `_settle_heap`."""


def _settle_heap() -> None:
    """Tune the cyclic garbage collector for a long-running hub, once startup has built what it keeps.

    What startup built (modules, models, validators: about 130,000 objects) is frozen, so full collections
    never walk it again. The youngest generation is collected after 50,000 new objects instead of 700, so the
    objects of requests in flight are freed by reference count before a collection has to walk them. Measured
    under batched publish: the collector took 1.9 s of every 10 s of the event loop's thread before, 0.2 s
    after, and its full collections, pauses of 50 to 110 ms, became rare (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _listen(host: str, port: int) -> socket.socket:
    """The hub's listening socket, bound before anything else starts: a port already in use is then one line,
    instead of a hub that says where it runs and then exits with uvicorn's error."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a restart need not wait
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        if exc.errno == errno.EADDRINUSE:
            reason += " (another program, or another hub, has it): pass another --port"
        raise SystemExit(f"agenthub: cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def _run(config: uvicorn.Config, listening: socket.socket) -> None:
    """Run uvicorn's server, except that a graceful stop on SIGTERM or SIGINT exits 0 instead of re-raising the
    signal. (uvicorn is imported here, so that every other command starts fast.)"""
    import uvicorn

    class HubServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            with super().capture_signals():
                try:
                    yield
                finally:
                    self._captured_signals.clear()

    _settle_heap()
    HubServer(config).run(sockets=[listening])


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(envvar="AGENTHUB_HOST", help="address to bind [default: 127.0.0.1]")
    ] = None,
    port: Annotated[int | None, typer.Option(envvar="AGENTHUB_PORT", help="port [default: 8000]")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(envvar="AGENTHUB_DATA_DIR", help="where the database and token live [default: ~/.agenthub]"),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(envvar="AGENTHUB_DATABASE_URL", help="sqlite:///file.db [default: in the data dir]")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="AGENTHUB_TOKEN", help="hub token [default: generated into the data dir]")
    ] = None,
    open_access: Annotated[
        bool, typer.Option("--open", envvar="AGENTHUB_OPEN", help="accept requests without a token (loopback only)")
    ] = False,
    synchronous: Annotated[
        str | None,
        typer.Option(envvar="AGENTHUB_SYNCHRONOUS", help="'full' (durable, default) or 'normal' (faster opt-in)"),
    ] = None,
    log_level: Annotated[str, typer.Option(envvar="AGENTHUB_LOG_LEVEL", help="uvicorn log level")] = "info",
) -> None:
    """Start the hub (SQLite in the data dir unless told otherwise)."""
    import uvicorn
    from pydantic import ValidationError

    from agenthub.errors import StorageUnavailable
    from agenthub.server import create_app
    from agenthub.server.ws_protocol import BatchingWebSocketProtocol
    from agenthub.settings import HubSettings, is_loopback
    from agenthub.storage import claim_for_serving

    given: dict[str, Any] = {
        "host": host,
        "port": port,
        "data_dir": data_dir,
        "database_url": database_url,
        "token": token,
        "synchronous": synchronous,
        "log_level": log_level,
    }
    try:
        settings = HubSettings(**{k: v for k, v in given.items() if v is not None}, open=open_access)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SystemExit(f"agenthub: invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    if settings.open and not is_loopback(settings.host):
        raise SystemExit(
            f"agenthub: --open is refused on {settings.host}: it accepts requests without a token (loopback only)"
        )
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise SystemExit(f"agenthub: the data dir {settings.data_dir} is not a directory")
    listening = _listen(settings.host, settings.port)
    shown = "localhost" if settings.host in ("127.0.0.1", "::1") else settings.host
    try:  # held until the process ends: a second hub on this database is refused
        held = claim_for_serving(settings.resolved_database_url(), f"pid {os.getpid()}, http://{shown}:{settings.port}")
    except StorageUnavailable as exc:
        raise SystemExit(f"agenthub: {exc.message}") from None
    app_ = create_app(settings)
    token_place = "AGENTHUB_TOKEN" if settings.token else str(settings.data_dir / "token")
    typer.echo(
        f"agenthub {app_.version} on http://{shown}:{settings.port}  (database: {settings.resolved_database_url()})"
    )
    typer.echo(f"hub token: {token_place}{'  [--open: no token needed]' if settings.open else ''}")
    typer.echo(f"dashboard: {dashboard_url(settings.host, settings.port, app_.state.hub.hub_token)}")
    config = uvicorn.Config(
        app_,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws_max_size=settings.max_frame_bytes * 4,
        ws_per_message_deflate=False,  # JSON frames are small; compressing them cost ~6% of the hub's CPU
        ws=BatchingWebSocketProtocol,
        lifespan="on",
        server_header=False,
    )
    _run(config, listening)
    if held is not None:
        held.close()
