"""A seconds-long run of `make bench`, so the benchmark cannot rot. It measures nothing: timing is the bench's job."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "ceiling_ws_single",
    "storage_ceiling_rows",
    "hub_ws_single",
    "hub_ws_batched",
    "hub_http_single",
    "hub_fanout_100",
    "hub_latency_p50",
    "hub_latency_p99",
    "hub_tasks",
    "hub_cas",
    "hub_idle_connect",
    "hub_idle_rss",
    "redis_xadd_always_single",
    "redis_xadd_always_batched",
    "redis_xadd_nopersist_single",
    "redis_xadd_nopersist_batched",
    "redis_fanout_100",
    "redis_pubsub_latency_p50",
    "redis_pubsub_latency_p99",
    "redis_stream_latency_p50",
    "redis_stream_latency_p99",
    "redis_tasks",
    "redis_cas",
    "import_agenthub",
}

WATCHED = EXPECTED - {
    "storage_ceiling_rows",
    "hub_latency_p50",
    "hub_latency_p99",
    "hub_idle_connect",
    "hub_idle_rss",
    "redis_pubsub_latency_p50",
    "redis_pubsub_latency_p99",
    "redis_stream_latency_p50",
    "redis_stream_latency_p99",
    "import_agenthub",
}
"""The throughput workloads: the bench notes who was busy while it measured them (`bench/cpu.py`)."""


def test_bench_smoke_runs_every_workload_against_hub_and_redis(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [result] = tmp_path.glob("*.json")
    document = json.loads(result.read_text())
    assert set(document["results"]) == EXPECTED
    assert all(entry["median"] > 0 for entry in document["results"].values())
    assert document["machine"]["cores"] >= 1
    watched = {
        name for name, entry in document["results"].items() if entry["extra"] and "load_cores" in entry["extra"][0]
    }
    assert watched == WATCHED
    table = result.with_suffix(".md").read_text()
    assert "| durable publish, WS, 1 msg/frame |" in table
    assert "| tasks claim + complete, 16 workers | agenthub |" in table.split("### Who was busy", 1)[1]
