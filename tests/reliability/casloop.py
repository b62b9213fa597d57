"""Memory under crashes: CAS counter increments from several processes while the hub is SIGKILLed and restarted.

Each increment writes `{"n": n + 1, "id": <unique>}` with `if_version` of the value it read. An answered
write is acknowledged; a write that met a dead hub is uncertain, and is looked up in the key's history once
the hub is back (applied or not, never guessed). Judged at the end: every acknowledged increment is in the
history exactly once, versions run 1..V without a gap, and each version holds `n = version - 1` (no lost
update).

    python -m tests.reliability.casloop --increments 300 --cycles 10
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import httpx

from tests.hubproc import HubProcess

KEY = "reliability/counter"


@dataclass
class CasOutcome:
    kills: int = 0
    acknowledged: int = 0
    final_n: int = 0
    final_version: int = 0
    missing: list[str] = field(default_factory=list)  # acknowledged but not in the history
    repeated: list[str] = field(default_factory=list)  # in the history more than once
    lost_updates: list[str] = field(default_factory=list)  # a version whose n is not version - 1, or a gap
    integrity: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.repeated or self.lost_updates) and all(r == "ok" for r in self.integrity)

    def summary(self) -> dict[str, Any]:
        return {
            "kills": self.kills,
            "acknowledged": self.acknowledged,
            "final_n": self.final_n,
            "final_version": self.final_version,
            "missing": len(self.missing),
            "repeated": len(self.repeated),
            "lost_updates": len(self.lost_updates),
            "integrity_failures": sum(1 for r in self.integrity if r != "ok"),
        }


def _until_answered(http: httpx.Client, method: str, path: str, body: Any = None) -> httpx.Response:
    while True:
        try:
            return http.request(method, path, json=body)
        except httpx.TransportError:
            time.sleep(0.05)  # the hub is restarting


def _applied(http: httpx.Client, inc_id: str) -> bool:
    history = _until_answered(http, "GET", f"/api/memory/history/{KEY}?limit=1000")
    return any((v["value"] or {}).get("id") == inc_id for v in history.json())


def incrementer_main(url: str, token: str, name: str, count: int, log_path: str, acked: Synchronized[int]) -> None:
    rng = random.Random(name)
    with (
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http,
        Path(log_path).open("a") as out,
    ):
        done = 0
        while done < count:
            inc_id = f"{name}-{done}"
            current = _until_answered(http, "GET", f"/api/memory/key/{KEY}").json()
            body = {"value": {"n": current["value"]["n"] + 1, "id": inc_id}, "if_version": current["version"]}
            try:
                answer = http.put(f"/api/memory/key/{KEY}", json=body)
            except httpx.TransportError:
                if not _applied(http, inc_id):
                    continue  # not applied: read again and retry
                out.write(f"{inc_id} applied-unanswered\n")
            else:
                if answer.status_code == 409:
                    time.sleep(rng.random() * 0.01)  # lost the race: read again
                    continue
                answer.raise_for_status()
                out.write(f"{inc_id} acknowledged\n")
                with acked.get_lock():
                    acked.value += 1
            out.flush()
            done += 1


def _integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def run(workdir: Path, increments: int = 60, workers: int = 3, cycles: int = 2, seed: int = 1) -> CasOutcome:
    rng = random.Random(seed)
    hub = HubProcess(workdir / "hub").start()
    outcome = CasOutcome()
    ctx = multiprocessing.get_context("spawn")
    acked: Synchronized[int] = ctx.Value("q", 0)  # type: ignore[assignment]
    processes: list[Any] = []
    try:
        _, token = hub.register("counter-owner")
        with hub.client(token) as http:
            http.post(
                "/api/memory", json={"key": KEY, "value": {"n": 0, "id": None}, "if_version": 0}
            ).raise_for_status()
        for n in range(workers):
            args = (hub.url, token, f"inc{n}", increments, str(workdir / f"inc{n}.log"), acked)
            processes.append(ctx.Process(target=incrementer_main, args=args, daemon=True))
        for process in processes:
            process.start()
        total = increments * workers
        for cycle in range(cycles):
            goal = (cycle + 1) * total // (cycles + 1) + rng.randint(0, total // (4 * (cycles + 1)))
            deadline = time.monotonic() + 120
            while acked.value < goal:
                assert time.monotonic() < deadline, "the incrementers stalled"
                time.sleep(0.02)  # polling other processes' progress, with a deadline
            hub.kill()
            outcome.kills += 1
            outcome.integrity.append(_integrity(hub.data_dir / "agenthub.db"))
            hub.start()
        for process in processes:
            process.join(180)
            if process.exitcode != 0:
                raise RuntimeError(f"an incrementer ended with {process.exitcode}")
        with hub.client(token) as http:
            final = http.get(f"/api/memory/key/{KEY}").json()
            history = http.get(f"/api/memory/history/{KEY}", params={"limit": 1000}).json()
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
        hub.stop()
    outcome.integrity.append(_integrity(hub.data_dir / "agenthub.db"))
    acknowledged = [
        line.split()[0]
        for n in range(workers)
        for line in (workdir / f"inc{n}.log").read_text().splitlines()
        if line.endswith(" acknowledged")
    ]
    outcome.acknowledged = len(acknowledged)
    outcome.final_n, outcome.final_version = final["value"]["n"], final["version"]
    ids = Counter((v["value"] or {}).get("id") for v in history)
    outcome.missing = [inc for inc in acknowledged if ids[inc] == 0]
    outcome.repeated = [inc for inc, times in ids.items() if inc is not None and times > 1]
    versions = [v["version"] for v in history]
    if versions != list(range(1, len(versions) + 1)):
        outcome.lost_updates.append(f"versions are not 1..{len(versions)}: {versions[:10]}...")
    outcome.lost_updates += [
        f"version {v['version']} holds n={v['value']['n']}" for v in history if v["value"]["n"] != v["version"] - 1
    ]
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--increments", type=int, default=300, help="per worker (the history holds 1,000 at most)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agenthub-casloop-") as tmp:
        outcome = run(Path(tmp), args.increments, args.workers, args.cycles, args.seed)
    print(json.dumps(outcome.summary(), indent=2))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
