"""Turn a bench result document into the Markdown table (and, where matplotlib is installed, a PNG chart)."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.cpu import FULL, STOLEN, saturated

# (label, hub key, redis key with fsync always, redis key without persistence, target text, check)
ROWS: list[tuple[str, str, str | None, str | None, str, Any]] = [
    ("do-nothing WebSocket ceiling, 1 msg/frame", "ceiling_ws_single", None, None, "", None),
    ("storage ceiling: message rows into SQLite, 100 per commit", "storage_ceiling_rows", None, None, "", None),
    (
        "durable publish, WS, 1 msg/frame",
        "hub_ws_single",
        "redis_xadd_always_single",
        "redis_xadd_nopersist_single",
        ">= 20,000 msg/s and >= 0.7x ceiling",
        lambda r: _m(r, "hub_ws_single") >= max(20_000, 0.7 * _m(r, "ceiling_ws_single")),
    ),
    (
        "durable publish, WS, 100 msg/frame",
        "hub_ws_batched",
        "redis_xadd_always_batched",
        "redis_xadd_nopersist_batched",
        ">= 100,000 msg/s and >= 1.0x Redis always",
        lambda r: _m(r, "hub_ws_batched") >= max(100_000, _m(r, "redis_xadd_always_batched")),
    ),
    (
        "durable publish, HTTP, 1 msg/request",
        "hub_http_single",
        None,
        None,
        ">= 3,000 req/s",
        lambda r: _m(r, "hub_http_single") >= 3000,
    ),
    (
        "fan-out 1 -> 100",
        "hub_fanout_100",
        "redis_fanout_100",
        None,
        ">= 80,000 deliveries/s",
        lambda r: _m(r, "hub_fanout_100") >= 80_000,
    ),
    (
        "publish -> deliver p50 at 1,000 msg/s",
        "hub_latency_p50",
        "redis_stream_latency_p50",
        "redis_pubsub_latency_p50",
        "",
        None,
    ),
    (
        "publish -> deliver p99 at 1,000 msg/s",
        "hub_latency_p99",
        "redis_stream_latency_p99",
        "redis_pubsub_latency_p99",
        "< 5 ms",
        lambda r: _m(r, "hub_latency_p99") < 5,
    ),
    (
        "tasks claim + complete, 16 workers",
        "hub_tasks",
        "redis_tasks",
        None,
        ">= 3,000 tasks/s",
        lambda r: _m(r, "hub_tasks") >= 3000,
    ),
    (
        "memory CAS increments, 8 clients",
        "hub_cas",
        "redis_cas",
        None,
        ">= 5,000 writes/s",
        lambda r: _m(r, "hub_cas") >= 5000,
    ),
    (
        "1,000 WebSocket agents connecting, 4 clients one after another: until all are registered",
        "hub_idle_connect",
        None,
        None,
        "",
        None,
    ),
    (
        "1,000 idle WebSocket agents: hub RSS",
        "hub_idle_rss",
        None,
        None,
        "< 300 MB",
        lambda r: _m(r, "hub_idle_rss") < 300,
    ),
    ("`import agenthub`", "import_agenthub", None, None, "< 150 ms", lambda r: _m(r, "import_agenthub") < 150),
]


def _m(results: dict[str, Any], key: str) -> float:
    entry = results.get(key)
    return float(entry["median"]) if entry else float("nan")


def _cell(results: dict[str, Any], key: str | None) -> str:
    if key is None or key not in results:
        return ""
    entry = results[key]
    return f"{entry['median']:,.1f} {entry['unit']} ({entry['min']:,.1f}-{entry['max']:,.1f})"


def table(document: dict[str, Any]) -> str:
    results = document["results"]
    lines = [
        "| workload | agenthub | Redis, appendfsync always | Redis, no persistence / pub-sub"
        " | agenthub / Redis | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, hub, redis_always, redis_other, target, check in ROWS:
        if hub not in results:
            continue
        ratio = ""
        if redis_always and redis_always in results and _m(results, redis_always):
            value = _m(results, hub) / _m(results, redis_always)
            ratio = f"{value:.2f}x" if results[hub]["unit"] != "ms" else f"{value:.2f}x latency"
        met = "" if check is None else ("yes" if check(results) else "**no**")
        lines.append(
            f"| {label} | {_cell(results, hub)} | {_cell(results, redis_always)} | {_cell(results, redis_other)}"
            f" | {ratio} | {target} | {met} |"
        )
    return "\n".join(lines) + "\n"


BUSY_FIELDS = ("server_cores", "busiest_thread_cores", "load_cores", "load_processes", "machine_cores", "steal_cores")


def _busy(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The median of each CPU figure over the trials (`bench/cpu.py`), when the workload was watched, and the
    most CPU stolen in one trial (`steal_most`): a median can hide the one trial the hypervisor slowed."""
    trials = [extra for extra in entry["extra"] if all(field in extra for field in BUSY_FIELDS)]
    if not trials:
        return None
    busy = {field: statistics.median(extra[field] for extra in trials) for field in BUSY_FIELDS}
    busy["steal_most"] = max(extra["steal_cores"] for extra in trials)
    return busy


def busy_table(document: dict[str, Any]) -> str:
    """Which side saturated in each throughput workload: the server's CPU and its busiest thread's, the load
    generators', the machine's and the CPU stolen from it, in cores (medians over the trials). Empty for a
    document from before the bench watched them."""
    results = document["results"]
    cores = document["machine"]["cores"]
    lines = [
        "| workload | server | server (busiest thread) | load generators (processes) | machine busy"
        " | steal (most in a trial) | at full use |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, server, entry in _measured(results):
        busy = _busy(entry)
        if busy is None:
            continue
        lines.append(
            f"| {label} | {server} | {busy['server_cores']:.2f} ({busy['busiest_thread_cores']:.2f})"
            f" | {busy['load_cores']:.2f} ({busy['load_processes']:g}) | {busy['machine_cores']:.2f} of {cores}"
            f" | {busy['steal_cores']:.2f} ({busy['steal_most']:.2f}) | {saturated(busy, cores)} |"
        )
    return "\n".join(lines) + "\n" if len(lines) > 2 else ""


def _measured(results: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each row's figures in the document, with the server they measured."""
    for label, hub, redis_always, redis_other, _, _ in ROWS:
        sides = [(hub, "agenthub"), (redis_always, "Redis, appendfsync always"), (redis_other, "Redis, no persistence")]
        for key, side in sides:
            if key in results:
                yield label, "do-nothing server" if key == "ceiling_ws_single" else side, results[key]


def remeasured(document: dict[str, Any]) -> str:
    """The measurements made again because the hypervisor took more than `STOLEN` of a core meanwhile: what
    each attempt set aside measured, with its steal. Empty when there were none."""
    lines = [
        f"- {label}, {server}, trial {trial}: {attempt['value']:,.1f} {entry['unit']} with"
        f" {attempt['steal_cores']:.2f} of a core stolen, set aside"
        f" (kept: {entry['values'][trial - 1]:,.1f} with {extra['steal_cores']:.2f})"
        for label, server, entry in _measured(document["results"])
        for trial, extra in enumerate(entry["extra"], 1)
        for attempt in extra.get("remeasured", [])
    ]
    return "\n".join(lines) + "\n" if lines else ""


def write_reports(document: dict[str, Any], markdown: Path) -> None:
    machine = document["machine"]
    header = (
        f"# agenthub vs Redis, {document['started_at']}\n\n"
        f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB, Python {machine['python']},"
        f" SQLite {machine['sqlite']}, Redis {machine['redis']}, agenthub {machine['agenthub']}."
        f" Median of {document['trials']} trials of {document['duration_seconds']} s (min-max in brackets).\n\n"
    )
    busy = busy_table(document)
    intro = (
        "\n### Who was busy\n\nCores used while each figure was measured (median of the trials): the server"
        " process, with its busiest thread in brackets (one thread uses one core at most); the load generators,"
        " start-up included; the whole machine, and the CPU the hypervisor gave to other guests (steal; in"
        " brackets the most in one trial, which slows that trial's figure)."
        f" A side is at full use from {FULL:.0%} of its cores (`bench/cpu.py`).\n\n"
    )
    again = remeasured(document)
    if again:
        again = (
            f"\nMeasured again, because the hypervisor took more than {STOLEN} of a core meanwhile (up to"
            " twice; the attempt with the least steal is kept):\n\n" + again
        )
    markdown.write_text(header + table(document) + (intro + busy if busy else "") + again)
    chart = markdown.with_suffix(".png")
    write_chart(document, chart)


def write_chart(document: dict[str, Any], path: Path) -> bool:
    """A bar chart of the throughput rows, hub against Redis; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    results = document["results"]
    rows = [
        (label, hub, redis)
        for label, hub, redis, _, _, _ in ROWS
        if hub in results and results[hub]["unit"].endswith("/s")
    ]
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(rows) + 1.5))
    ys = range(len(rows))
    ax.barh([y + 0.2 for y in ys], [_m(results, hub) for _, hub, _ in rows], height=0.4, label="agenthub")
    ax.barh(
        [y - 0.2 for y in ys],
        [_m(results, r) if r and r in results else 0 for _, _, r in rows],
        height=0.4,
        label="Redis (appendfsync always)",
    )
    ax.set_yticks(list(ys), [label for label, _, _ in rows])
    ax.set_xscale("log")
    ax.set_xlabel("operations per second (log scale)")
    ax.legend(loc="lower right")
    ax.set_title(f"agenthub vs Redis on {document['machine']['cores']} cores, {document['started_at']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
