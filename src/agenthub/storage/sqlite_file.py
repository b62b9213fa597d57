"""The SQLite database file itself: which file it is, what its failures mean, one serving hub at a time, and
a file that is a database.

Two hubs on one database file would both run, each with its own idea of the stream (its sequence, its
subscriptions, its live connections), and deliver only what it stored itself. `agenthub serve` therefore
holds a lock beside the file (`<file>.lock`, an advisory `flock`, released by the kernel however the process
ends, so it is never stale) and a second one is refused, told who holds it. Then a file that is not a SQLite
database, or one a newer agenthub has migrated, is refused with one line instead of failing the hub's start
with a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import IO

from agenthub.errors import StorageUnavailable
from agenthub.storage.sqlite_migrations import refuse_newer

try:
    import fcntl
except ImportError:  # Windows: no flock; the hub starts without the guard
    fcntl = None  # type: ignore[assignment]


def file_id(path: Path) -> tuple[int, int] | None:
    """What tells one file from another at the same path: its device and inode (None: there is none)."""
    try:
        found = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return found.st_dev, found.st_ino


_FAULTS = {
    sqlite3.SQLITE_FULL: ("storage_full", "the disk that holds the hub's database is full: free some space"),
    sqlite3.SQLITE_BUSY: ("storage_busy", "another program keeps the hub's database locked: close it"),
    sqlite3.SQLITE_READONLY: ("storage_error", "the hub's database cannot be written (a read-only file?)"),
    sqlite3.SQLITE_IOERR: ("storage_error", "the hub's database file cannot be read or written"),
    sqlite3.SQLITE_CANTOPEN: ("storage_error", "the hub's database file cannot be opened"),
    sqlite3.SQLITE_CORRUPT: ("storage_error", "the hub's database file is damaged"),
    sqlite3.SQLITE_NOTADB: ("storage_error", "the hub's database file is damaged"),
}
"""SQLite's answers that say the database cannot do its part now, whatever the request: the wire code and
what to tell the person who runs the hub, by primary result code."""


def storage_fault(error: BaseException, *, write: bool) -> StorageUnavailable | None:
    """The 503 to answer for an error of the database itself (the disk full, an I/O error, the file locked
    by another program), or None for one the request caused."""
    result = getattr(error, "sqlite_errorcode", None) if isinstance(error, sqlite3.Error) else None
    fault = None if result is None else _FAULTS.get(result & 0xFF)
    if fault is None:
        return None
    code, what = fault
    name = getattr(error, "sqlite_errorname", "")
    outcome = "; nothing of this request was stored" if write else ""
    return StorageUnavailable(f"{what} (SQLite: {error}){outcome}", code=code, details={"sqlite_error": name})


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def claim_for_serving(path: Path, owner: str) -> IO[str] | None:
    """Take the database file for this process, as `owner` (a pid and an address, said to a second hub).
    Keep the returned file open while serving: closing it, or the process ending, lets go. Raises
    StorageUnavailable (`storage_in_use`) when another process holds it, or when the file is no database."""
    if path.exists() and not path.is_file():
        raise StorageUnavailable(f"the database path {path} is not a file", code="storage_error")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as the hub makes its data dir
    held = None
    if fcntl is not None:
        held = lock_path(path).open("a+")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            held.seek(0)
            holder = held.read().strip() or "another process"
            held.close()
            raise StorageUnavailable(
                f"another hub is serving {path} ({holder}): stop it, or give this one another --data-dir",
                code="storage_in_use",
            ) from None
        held.truncate(0)
        held.write(owner + "\n")
        held.flush()
    try:
        _check_is_database(path)
    except BaseException:
        if held is not None:
            held.close()
        raise
    return held


def _check_is_database(path: Path) -> None:
    """An existing file must be a SQLite database this process can open (a missing one is created later)."""
    if not path.exists():
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
            refuse_newer(conn)
        finally:
            conn.close()
    except sqlite3.Error as error:
        fault = storage_fault(error, write=False)
        if fault is None:
            raise
        raise StorageUnavailable(f"cannot open {path}: {fault.message}", code=fault.code) from None
