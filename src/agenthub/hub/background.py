"""The hub's background passes (expiry sweeps, the presence sweep, the task reaper, dedup pruning).

Each runs every so many seconds until the hub stops, and outlives a pass that fails. A failure is logged with
its traceback once; while the same pass keeps failing it is logged again at most once a minute, in one line
with a count, and once more when a pass succeeds again (`FailureLog`). A pass refused because the storage
cannot store anything now (`StorageUnavailable`: its file gone, the disk full) is neither: the storage logs
why itself, and each pass would only repeat it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from agenthub._failure_log import FailureLog
from agenthub.errors import StorageUnavailable

log = logging.getLogger(__name__)

Pass = Callable[[], Awaitable[object]]


class Repeating:
    """Runs its passes, in order, every `seconds` from `start()` to `stop()` (the first time at once with
    `right_away`); one failing pass does not keep the others from running."""

    def __init__(self, seconds: float, passes: dict[str, Pass], *, right_away: bool = False) -> None:
        self.seconds = seconds
        self._passes = [(work, FailureLog(what, log)) for what, work in passes.items()]
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
