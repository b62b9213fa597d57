"""`agenthub serve` starts only on a database it can have to itself and a port it can listen on, and says in
one line why it will not."""

from __future__ import annotations

import signal
import socket
import sqlite3
from pathlib import Path

import httpx

from tests.hubproc import HubProcess, serve_refused


def test_a_second_hub_on_the_same_database_is_refused_and_the_first_goes_on(hub: HubProcess) -> None:
    assert hub.proc is not None
    database = hub.data_dir / "agenthub.db"
    second = serve_refused(hub.data_dir)
    assert (second.returncode, second.stdout) == (1, "")
    assert second.stderr.splitlines() == [
        f"agenthub: another hub is serving {database} (pid {hub.proc.pid}, http://localhost:{hub.port}):"
        " stop it, or give this one another --data-dir"
    ]
    _, token = hub.register("still-here")
    with hub.client(token) as http:
        assert http.post("/api/messages", json={"channel": "c", "content": "x"}).status_code == 201

    hub.stop(signal.SIGKILL)  # however the first one ends, its claim ends with it
    hub.start()
    assert httpx.get(f"{hub.url}/health").status_code == 200


def test_a_file_that_is_no_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "agenthub.db"
    database.write_bytes(b"my notes, not a database\n" * 100)
    done = serve_refused(data_dir)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"agenthub: cannot open {database}: the hub's database file is damaged (SQLite: file is not a database)"
    ]
    assert database.read_bytes() == b"my notes, not a database\n" * 100


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("x")
    done = serve_refused(not_a_dir)
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        f"agenthub: the data dir {not_a_dir} is not a directory\n",
    )


def test_a_port_in_use_is_refused_in_one_line_before_anything_is_made(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve_refused(tmp_path / "data", port=port)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"agenthub: cannot listen on 127.0.0.1:{port}: address already in use (another program, or another hub,"
        " has it): pass another --port"
    ]
    assert not (tmp_path / "data").exists()


def test_a_database_from_a_newer_agenthub_is_refused(hub: HubProcess) -> None:
    hub.stop()
    database = hub.data_dir / "agenthub.db"
    with sqlite3.connect(database) as db:
        newest = db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        db.execute("INSERT INTO schema_migrations VALUES (?, 'later', '2030-01-01T00:00:00Z')", (newest + 1,))
    db.close()
    done = serve_refused(hub.data_dir)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"agenthub: the database was made by a newer agenthub (its schema is at version {newest + 1}; this"
        f" agenthub knows up to {newest}): upgrade agenthub, or give this one another --data-dir"
    ]
