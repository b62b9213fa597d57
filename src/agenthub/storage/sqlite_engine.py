"""The SQLite engine: one writer thread that group-commits, a small pool of reader threads.

Every write is a function of a `sqlite3.Connection` run on the writer thread. The
writer takes everything queued since its last commit, runs it inside one
`BEGIN IMMEDIATE` transaction, commits once, and only then answers the callers.
If one write raises, the batch is redone with each write in its own savepoint, so
a failing write does not undo its neighbours; a write function may therefore run
twice and must have no effect outside the connection. Writes submitted as
`isolated` are refused routinely; a refusal that changed no row fails alone
without a redo.

With `synchronous=FULL` a commit is durable when `COMMIT` returns, so no caller is
answered before its data is on disk, and concurrent writers share one fsync.
Callbacks given as `on_commit` run on the event loop in commit order before the
callers resume, which is what live delivery in `seq` order relies on.

Once a second the writer checks that the database file at its path is still the one it
opened. A file removed or replaced under a running hub would take every later write with
it while the hub went on acknowledging them, so from then on every write is refused with
503 `storage_lost` (`failure`), and the hub must be restarted. A database that cannot do its
part for a while (the disk full, an I/O error, the file locked by another program) fails
the requests it touches with 503 as well (`storage_fault`), logged once a minute at most,
and serves again as soon as it can.

The thread is crossed once per batch, not once per statement, and a write stores many rows of a table with
one statement, not one per row (`sqlite_rows`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from agenthub._failure_log import FailureLog
from agenthub.errors import StorageUnavailable
from agenthub.storage.sqlite_audit import AuditEntry, append_audit
from agenthub.storage.sqlite_file import file_id, storage_fault
from agenthub.storage.sqlite_migrations import apply_migrations

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_BATCH = 2000
FILE_CHECK_SECONDS = 1.0
"""How often the writer checks that its database file is still there (`SQLiteEngine.failure`)."""
_STOP = object()


@dataclass(slots=True)
class _Write(Generic[T]):
    fn: Callable[[sqlite3.Connection], T]
    future: asyncio.Future[T]
    on_commit: Callable[[T], None] | None
    isolated: bool = False
    result: Any = None
    error: BaseException | None = None


class WriterConnection(sqlite3.Connection):
    """The writer thread's connection: audit entries of the open transaction wait here and are chained and
    inserted once, just before its COMMIT; so do the `before_commit` steps writes leave (one per key)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit_pending: list[AuditEntry] = []
        self.before_commit: dict[str, Callable[[sqlite3.Connection], None]] = {}


def once_before_commit(conn: sqlite3.Connection, key: str, step: Callable[[sqlite3.Connection], None]) -> None:
    """Run `step` once per transaction, just before COMMIT, however many writes ask for it under `key` (the
    first one's step is kept). Outside the writer's batches there is nothing to wait for: it runs now."""
    steps: dict[str, Callable[[sqlite3.Connection], None]] | None = getattr(conn, "before_commit", None)
    if steps is None:
        step(conn)
    else:
        steps.setdefault(key, step)


def run_before_commit_now(conn: sqlite3.Connection, key: str) -> None:
    """Run the step waiting under `key` now (a write that must see its effect, such as a delete of a row the
    step would index), so it does not run again at COMMIT."""
    steps: dict[str, Callable[[sqlite3.Connection], None]] | None = getattr(conn, "before_commit", None)
    step = steps.pop(key, None) if steps is not None else None
    if step is not None:
        step(conn)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the failure that led here is what its callers hear of
            conn.execute("ROLLBACK")


def connect(
    path: Path | str, synchronous: str = "full", factory: type[sqlite3.Connection] = sqlite3.Connection
) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, cached_statements=512, factory=factory
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-65536")
    return conn


class SQLiteEngine:
    """Owns the database file: the writer thread, the reader threads and their connections."""

    def __init__(self, path: Path | str, *, synchronous: str = "full", readers: int = 2) -> None:
        self.path = Path(path)
        self.synchronous = synchronous
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._reader_count = readers
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="agenthub-sqlite-read")
        self._reader_conns: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        """One connection per reader thread, all opened with the writer's: a reader opened later could find
        another file at the path, or make an empty one (`failure`)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._file_id: tuple[int, int] | None = None
        self._file_checked_at = 0.0
        self._file_lost = False
        self._write_failures = FailureLog(f"writing to the database {self.path}", log, traceback=False)
        self._read_failures = FailureLog(f"reading the database {self.path}", log, traceback=False)

    @property
    def failure(self) -> StorageUnavailable | None:
        """Why no write can be stored any more (the database file went away), or None. A new error each time:
        raised again and again, one instance would gather every traceback it passed through."""
        if not self._file_lost:
            return None
        return StorageUnavailable(
            "the hub's database file was removed or replaced while the hub was running, so nothing more can be"
            " stored: restart the hub (its log names the file)",
            code="storage_lost",
        )

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._loop = asyncio.get_running_loop()
        self._readers = ThreadPoolExecutor(max_workers=self._reader_count, thread_name_prefix="agenthub-sqlite-read")
        conn = connect(self.path, self.synchronous, WriterConnection)
        assert isinstance(conn, WriterConnection)
        apply_migrations(conn)
        for _ in range(self._reader_count):
            reader = connect(self.path, self.synchronous)
            reader.execute("PRAGMA query_only=ON")
            self._reader_conns.put(reader)
        self._file_id, self._file_checked_at, self._file_lost = file_id(self.path), time.monotonic(), False
        self._writer = threading.Thread(
            target=self._run_writer, args=(conn,), name="agenthub-sqlite-write", daemon=True
        )
        self._writer.start()

    async def close(self) -> None:
        if self._writer is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._writer.join)
            self._writer = None
        self._readers.shutdown(wait=True)
        while not self._reader_conns.empty():
            self._reader_conns.get().close()

    # -- writes -------------------------------------------------------------------------------------------

    def submit(
        self,
        fn: Callable[[sqlite3.Connection], T],
        on_commit: Callable[[T], None] | None = None,
        *,
        isolated: bool = False,
    ) -> asyncio.Future[T]:
        """Queue a write now (in call order) and return the future of its committed result.

        `isolated=True` is for writes that are refused in the normal course of things (a compare-and-set
        that lost, a lock held by another): a refusal that changed nothing fails alone and costs nothing
        more, where any other failure has the whole batch redone, each write in its own savepoint. (An
        isolated write that changes rows before it refuses is redone that way too.)"""
        if self._loop is None or self._writer is None:
            raise RuntimeError("the storage is not open")
        future: asyncio.Future[T] = self._loop.create_future()
        failure = self.failure
        if failure is not None:
            future.set_exception(failure)
        else:
            self._queue.put(_Write(fn, future, on_commit, isolated))
        return future

    async def write(
        self,
        fn: Callable[[sqlite3.Connection], T],
        on_commit: Callable[[T], None] | None = None,
        *,
        isolated: bool = False,
    ) -> T:
        return await self.submit(fn, on_commit, isolated=isolated)

    def _run_writer(self, conn: WriterConnection) -> None:
        try:
            while True:
                try:
                    first = self._queue.get(timeout=FILE_CHECK_SECONDS)
                except queue.Empty:
                    self._check_file()
                    continue
                if first is _STOP:
                    return
                batch: list[_Write[Any]] = [first]
                stop = False
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                if time.monotonic() - self._file_checked_at >= FILE_CHECK_SECONDS:
                    self._check_file()
                self._commit_batch(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _check_file(self) -> None:
        """Note, once, that the database file was removed or replaced since the hub opened it."""
        self._file_checked_at = time.monotonic()
        try:
            if self._file_lost or file_id(self.path) == self._file_id:
                return
        except OSError:  # cannot look (a permission taken away, say): no sign the file is gone
            return
        self._file_lost = True
        log.error(
            "the database file %s was removed or replaced while the hub was running: every write is refused"
            " from now on, restart the hub",
            self.path,
        )

    def _commit_batch(self, conn: WriterConnection, batch: list[_Write[Any]]) -> None:
        if self._file_lost:  # queued before it was noticed: stored now, it would be lost with the file
            for item in batch:
                item.error = self.failure
            self._answer_soon(batch)
            return
        try:
            self._run_batch(conn, batch, savepoints=False)
        except Exception as exc:
            _rollback(conn)
            if len(batch) == 1:
                batch[0].error = exc
            else:  # redo it with each write in its own savepoint, so only the failing write fails
                for item in batch:
                    item.result = item.error = None
                try:
                    self._run_batch(conn, batch, savepoints=True)
                except Exception as whole:  # the transaction itself failed: every caller in it hears why
                    _rollback(conn)
                    for item in batch:
                        item.error = item.error or whole
        self._note_faults(batch)
        self._answer_soon(batch)

    def _note_faults(self, batch: list[_Write[Any]]) -> None:
        """Answer the database's own failures as 503 (`storage_fault`), and log them once a minute at most."""
        failed: BaseException | None = None
        for item in batch:
            fault = None if item.error is None else storage_fault(item.error, write=True)
            if fault is not None:
                failed, item.error = item.error, fault
        if failed is not None:
            self._write_failures.failed(failed)
        else:
            self._write_failures.passed()

    def _answer_soon(self, batch: list[_Write[Any]]) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            self._loop.call_soon_threadsafe(_answer, batch)

    @staticmethod
    def _run_batch(conn: WriterConnection, batch: list[_Write[Any]], *, savepoints: bool) -> None:
        conn.audit_pending.clear()
        conn.before_commit.clear()
        conn.execute("BEGIN IMMEDIATE")
        for item in batch:
            if savepoints:
                _run_in_savepoint(conn, item)
            elif item.isolated:
                _run_refusable(conn, item)
            else:
                item.result = item.fn(conn)
        for step in conn.before_commit.values():
            step(conn)
        conn.before_commit.clear()
        if conn.audit_pending:
            append_audit(conn, conn.audit_pending)
            conn.audit_pending.clear()
        conn.execute("COMMIT")

    # -- reads --------------------------------------------------------------------------------------------

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read on a reader thread, against a consistent snapshot."""
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self._readers, self._run_read, fn)
        except sqlite3.Error as error:
            fault = storage_fault(error, write=False)
            if fault is None:
                raise
            self._read_failures.failed(error)
            raise fault from error
        self._read_failures.passed()
        return found

    def _run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._reader_conns.get_nowait()  # one each for as many threads as the pool has: never empty here
        try:
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")
        finally:
            self._reader_conns.put(conn)


def _run_in_savepoint(conn: WriterConnection, item: _Write[Any]) -> None:
    """Run a write in a savepoint of its own, so that its failure is undone and reported to its caller alone."""
    mark = len(conn.audit_pending)
    conn.execute("SAVEPOINT w")
    try:
        item.result = item.fn(conn)
    except Exception as exc:
        conn.execute("ROLLBACK TO w")
        del conn.audit_pending[mark:]
        item.error = exc
    conn.execute("RELEASE w")


def _run_refusable(conn: WriterConnection, item: _Write[Any]) -> None:
    """Run an isolated write without a savepoint: a refusal that changed no row leaves nothing to undo but its
    audit entries. One that did re-raises, and the batch is redone with each write in its own savepoint; so
    does an error that ended the transaction (SQLite rolls back on some I/O and memory errors)."""
    mark = len(conn.audit_pending)
    changes = conn.total_changes
    try:
        item.result = item.fn(conn)
    except Exception as exc:
        if conn.total_changes != changes or not conn.in_transaction:
            raise
        del conn.audit_pending[mark:]
        item.error = exc


def _answer(batch: list[_Write[Any]]) -> None:
    """On the event loop: run commit callbacks in order, then wake the callers."""
    for item in batch:
        if item.error is None and item.on_commit is not None:
            try:
                item.on_commit(item.result)  # runs even if the caller gave up: the data is committed
            except Exception:  # a broken callback must not leave the rest of the batch unanswered
                log.exception("on_commit callback failed")
        if item.future.cancelled():
            continue
        if item.error is not None:
            item.future.set_exception(item.error)
        else:
            item.future.set_result(item.result)
