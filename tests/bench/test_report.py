"""The bench's report: who was busy, with the trial the hypervisor slowed most."""

from __future__ import annotations

from typing import Any

from bench.report import busy_table, remeasured


def _trial(steal: float) -> dict[str, Any]:
    return {
        "server_cores": 0.8,
        "busiest_thread_cores": 0.5,
        "load_cores": 0.3,
        "load_processes": 2,
        "machine_cores": 1.1,
        "steal_cores": steal,
    }


def test_the_busy_table_shows_the_median_steal_and_the_most_in_one_trial() -> None:
    entry = {"unit": "tasks/s", "median": 900.0, "min": 700.0, "max": 1100.0, "extra": []}
    document = {
        "machine": {"cores": 2},
        "results": {"hub_tasks": entry | {"extra": [_trial(0.02), _trial(0.2), _trial(0.53)]}},
    }
    [header, _, row] = busy_table(document).splitlines()
    assert "| steal (most in a trial) |" in header
    assert row == (
        "| tasks claim + complete, 16 workers | agenthub | 0.80 (0.50) | 0.30 (2) | 1.10 of 2 | 0.20 (0.53) | none |"
    )


def test_measurements_set_aside_for_steal_are_listed_with_the_one_kept() -> None:
    kept = _trial(0.04) | {"remeasured": [{"value": 741.6, "steal_cores": 0.53}]}
    entry = {"unit": "tasks/s", "values": [1230.0, 990.5], "extra": [_trial(0.02), kept]}
    document = {"machine": {"cores": 2}, "results": {"hub_tasks": entry}}
    assert remeasured(document) == (
        "- tasks claim + complete, 16 workers, agenthub, trial 2: 741.6 tasks/s with 0.53 of a core stolen,"
        " set aside (kept: 990.5 with 0.04)\n"
    )
    assert remeasured({"machine": {"cores": 2}, "results": {"hub_tasks": entry | {"extra": [_trial(0.02)]}}}) == ""
