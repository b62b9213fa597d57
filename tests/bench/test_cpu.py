"""`bench/cpu.py`: the CPU a watched server's threads and the finished load generators used, and the verdict."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from bench.cpu import Watch, saturated

SPIN = 0.3  # CPU seconds each spinner burns


def _spin(done: threading.Event, release: threading.Event) -> None:
    started = time.thread_time()
    while time.thread_time() - started < SPIN:
        pass
    done.set()
    release.wait()  # a thread counts while it lives, as a server's threads do


def test_watch_counts_the_busiest_thread_and_the_children_that_ended() -> None:
    started = time.monotonic()
    watch = Watch(os.getpid(), load_processes=1)
    done, release = threading.Event(), threading.Event()
    spinner = threading.Thread(target=_spin, args=(done, release))
    spinner.start()
    done.wait()
    code = f"import time\nt = time.process_time()\nwhile time.process_time() - t < {SPIN}: pass"
    subprocess.run([sys.executable, "-c", code], check=True)
    usage = watch.usage()
    elapsed = time.monotonic() - started
    release.set()
    spinner.join()
    tick = 0.02  # /proc counts in clock ticks
    assert usage["busiest_thread_cores"] * elapsed >= SPIN - tick
    assert usage["server_cores"] >= usage["busiest_thread_cores"]
    assert usage["load_cores"] * elapsed >= SPIN - tick
    assert usage["load_processes"] == 1
    assert usage["machine_cores"] * elapsed >= 2 * SPIN - 2 * tick


def _usage(machine: float, thread: float, load: float) -> dict[str, float]:
    return {"machine_cores": machine, "busiest_thread_cores": thread, "load_cores": load, "load_processes": 2}


def test_saturated_names_the_side_at_full_use() -> None:
    assert saturated(_usage(1.9, 0.5, 1.0), cores=2) == "the machine"
    assert saturated(_usage(1.5, 0.95, 0.5), cores=2) == "a server thread"
    assert saturated(_usage(1.5, 0.5, 1.85), cores=4) == "the load generators"
    assert saturated(_usage(1.2, 0.6, 0.6), cores=2) == "none"
