"""`agenthub audit verify` and `agenthub audit export`: check the audit log's hash chain, dump it as JSON Lines.

Both read the SQLite file directly with `--db` (the hub may be stopped), or else ask a running hub."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli.app import app

if TYPE_CHECKING:
    import httpx

audit_app = typer.Typer(help="The audit log: verify its hash chain, export it.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

DbOption = Annotated[
    Path | None, typer.Option("--db", help="read this SQLite database file directly instead of asking the hub")
]
UrlOption = Annotated[str | None, typer.Option(envvar="AGENTHUB_URL", help="the hub [default: http://127.0.0.1:8000]")]
TokenOption = Annotated[
    str | None, typer.Option(envvar="AGENTHUB_TOKEN", help="hub token [default: the token file in the data dir]")
]


def _open_readonly(db: Path) -> sqlite3.Connection:
    if not db.exists():
        raise SystemExit(f"agenthub: no database at {db}")
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _hub_get(url: str | None, token: str | None, path: str) -> httpx.Response:
    import httpx

    from agenthub._local import default_url, read_local_token
    from agenthub.errors import error_from_body

    token = token or read_local_token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(f"{url or default_url()}{path}", headers=headers, timeout=300)
    except httpx.HTTPError as exc:
        raise SystemExit(f"agenthub: cannot reach the hub: {exc}") from None
    if response.status_code != 200:
        raise SystemExit(f"agenthub: {error_from_body(response.status_code, response.json()).message}")
    return response


@audit_app.command()
def verify(db: DbOption = None, url: UrlOption = None, token: TokenOption = None) -> None:
    """Walk the hash chain; exit 1 naming the first entry that was altered or removed."""
    from agenthub.models import AuditVerification
    from agenthub.storage.sqlite_audit_log import verify_chain

    if db is not None:
        conn = _open_readonly(db)
        try:
            result = verify_chain(conn)
        finally:
            conn.close()
    else:
        response = _hub_get(url, token, "/api/audit/verify")
        result = AuditVerification.model_validate_json(response.content)
    typer.echo(result.message)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command()
def export(
    db: DbOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here [default: stdout]")] = None,
) -> None:
    """Every entry, oldest first, one JSON object per line (a progress bar shows on a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from agenthub.storage.sqlite_audit_log import AUDIT_COLUMNS, entry_from_row

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("audit export"), BarColumn(), MofNCompleteColumn(), console=console, transient=True,
        disable=not console.is_terminal,
    )  # fmt: skip
    sink = output.open("wb") if output is not None else sys.stdout.buffer
    try:
        with progress:
            if db is not None:
                conn = _open_readonly(db)
                try:
                    (total,) = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()
                    bar = progress.add_task("export", total=total)
                    for row in conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"):
                        sink.write(entry_from_row(row).model_dump_json().encode() + b"\n")
                        progress.advance(bar)
                finally:
                    conn.close()
            else:
                lines = _hub_get(url, token, "/api/audit/export").content.splitlines(keepends=True)
                bar = progress.add_task("export", total=len(lines))
                for line in lines:
                    sink.write(line)
                    progress.advance(bar)
    finally:
        if output is not None:
            sink.close()
