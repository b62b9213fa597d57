"""Who was busy while a figure was measured, so that every run says which side saturated.

A server is read from `/proc/<pid>`: its CPU, and that of its busiest thread, because one thread can use one
core at most (the hub's event loop, Redis's main thread; a thread that ended meanwhile counts in the total
only). The load generators are this process's children that ended during the measurement (`getrusage`):
each workload runs them in a pool that is closed before the figure is returned, so their CPU, start-up
included, is counted. The machine's busy and stolen CPU come from `/proc/stat`; steal is CPU the hypervisor
gave to another guest, and a trial with much of it measured a slower machine.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
FULL = 0.9
"""The share of a core (or of every core) from which a thread, a process or the machine counts as saturated."""
STOLEN = 0.15
"""Steal, in cores, above which a measurement measured a slower machine: the bench makes it again."""


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used, all of its threads (ended ones too)."""
    return _seconds(Path(f"/proc/{pid}/stat"))


def _seconds(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _threads(pid: int) -> dict[str, float]:
    seconds = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            seconds[tid] = _seconds(Path(f"/proc/{pid}/task/{tid}/stat"))
    return seconds


def _machine() -> tuple[float, float]:
    """The whole machine's busy and stolen CPU seconds since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq) / TICKS, steal / TICKS


def _children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Watch:
    """Started before a measurement; `usage()` after it says how busy each side was, in cores."""

    def __init__(self, pid: int, load_processes: int) -> None:
        self.pid = pid
        self.load_processes = load_processes
        self._process = cpu_seconds(pid)
        self._threads = _threads(pid)
        self._machine = _machine()
        self._children = _children()
        self._started = time.monotonic()

    def usage(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self._started
        threads = _threads(self.pid)
        busiest = max((seconds - self._threads.get(tid, 0.0) for tid, seconds in threads.items()), default=0.0)
        busy, steal = _machine()

        def cores(seconds: float) -> float:
            return round(seconds / elapsed, 2)

        return {
            "server_cores": cores(cpu_seconds(self.pid) - self._process),
            "busiest_thread_cores": cores(busiest),
            "load_cores": cores(_children() - self._children),
            "load_processes": self.load_processes,
            "machine_cores": cores(busy - self._machine[0]),
            "steal_cores": cores(steal - self._machine[1]),
        }


def saturated(usage: dict[str, Any], cores: int) -> str:
    """Which side was at full use: the machine, the server's busiest thread, the load generators, or none."""
    if usage["machine_cores"] >= FULL * cores:
        return "the machine"
    if usage["busiest_thread_cores"] >= FULL:
        return "a server thread"
    if usage["load_cores"] >= FULL * usage["load_processes"]:
        return "the load generators"
    return "none"
