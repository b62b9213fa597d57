"""How the hub logs something that keeps failing: the first failure in full, then one line a minute while it
goes on, then its recovery. Logged every time, a sweep that runs each second filled the log with three
tracebacks a second, and a full disk one traceback for each refused request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

REPEAT_LOG_EVERY = 60.0
"""Seconds between the lines that say something is still failing."""


class FailureLog:
    """What to log of one activity's outcomes (`what`, say "the presence sweep"): its first failure, with the
    traceback unless `traceback=False` (an error that explains itself), then a line a `REPEAT_LOG_EVERY` while
    it keeps failing, then its recovery. Not thread-safe: count one activity from one thread."""

    def __init__(
        self,
        what: str,
        log: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
        *,
        traceback: bool = True,
    ) -> None:
        self.what = what
        self._log = log
        self._clock = clock
        self._traceback = traceback
        self._failures = 0  # since the last success
        self._unlogged = 0  # failures since the last line
        self._logged_at = 0.0

    def failed(self, error: BaseException) -> None:
        self._failures += 1
        now = self._clock()
        if self._failures == 1:
            if self._traceback:
                self._log.error("%s failed", self.what, exc_info=error)
            else:
                self._log.error("%s failed: %s", self.what, error)
        elif now - self._logged_at >= REPEAT_LOG_EVERY:
            self._log.error(
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
            self._log.warning("%s works again after %d failures", self.what, self._failures)
            self._failures = self._unlogged = 0
