"""The hub's background passes (expiry sweeps, the presence sweep, the task reaper, dedup pruning).

Each runs every so many seconds until the hub stops, and outlives a pass that fails. A failure is logged with
its traceback once; while the same pass keeps failing (the data directory gone, the disk full) it is logged
again at most once a minute, in one line with a count, and once more when a pass succeeds again. Logged every
time, a sweep that runs each second filled the log with three tracebacks a second and kept a core a third
busy formatting them. A pass refused because the storage can no longer store anything (`StorageUnavailable`)
is neither: the storage has logged why, once, and every pass until the hub restarts would only repeat it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from agenthub.errors import StorageUnavailable

log = logging.getLogger(__name__)

REPEAT_LOG_EVERY = 60.0
"""Seconds between the lines that say a pass is still failing."""

Pass = Callable[[], Awaitable[object]]


class FailureLog:
    """What to log of one pass's outcomes: the first failure in full, then a line a `REPEAT_LOG_EVERY` while
    it keeps failing, then its recovery."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self._clock = clock
        self._failures = 0  # since the last success
        self._unlogged = 0  # failures since the last line
        self._logged_at = 0.0

    def failed(self, error: Exception) -> None:
        self._failures += 1
        now = self._clock()
        if self._failures == 1:
            log.error("%s failed", self.what, exc_info=error)
        elif now - self._logged_at >= REPEAT_LOG_EVERY:
            log.error(
                "%s still failing: %d more times since the last report, now with %s: %s",
                self.what,
                self._unlogged + 1,
                type(error).__name__,
                error,
            )
        else:
            self._unlogged += 1
            return
        self._unlogged = 0
        self._logged_at = now

    def passed(self) -> None:
        if self._failures:
            log.warning("%s works again after %d failed passes", self.what, self._failures)
        self._failures = self._unlogged = 0


class Repeating:
    """Runs its passes, in order, every `seconds` from `start()` to `stop()` (the first time at once with
    `right_away`); one failing pass does not keep the others from running."""

    def __init__(self, seconds: float, passes: dict[str, Pass], *, right_away: bool = False) -> None:
        self.seconds = seconds
        self._passes = [(work, FailureLog(what)) for what, work in passes.items()]
        self._right_away = right_away
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        if not self._right_away:
            await asyncio.sleep(self.seconds)
        while True:
            for work, failures in self._passes:
                try:
                    await work()
                except StorageUnavailable:  # said once where it was found; a pass cannot help it
                    continue
                except Exception as error:  # the pass must outlive one bad run
                    failures.failed(error)
                else:
                    failures.passed()
            await asyncio.sleep(self.seconds)
