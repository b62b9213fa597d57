"""Tasks under crashes: hub SIGKILLed and restarted, workers frozen past their leases (`taskloop.py`)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.taskloop import run


def test_every_task_completes_once_while_the_hub_crashes_and_workers_freeze_past_their_leases(
    tmp_path: Path,
) -> None:
    outcome = run(tmp_path, tasks=40, workers=3, cycles=2, seed=5)
    assert (outcome.kills, outcome.freezes) == (2, 2)
    assert outcome.completed == 40
    assert outcome.more_than_once == [], "one attempt's completion accepted per task"
    assert outcome.wrong_result == []
    assert outcome.stale_accepted == [], "no completion accepted after the lease ran out"
    assert outcome.lease_overruns == [], "no lease outlives its expiry by more than the reaper interval"
    assert outcome.stale_refused >= 1, "a frozen worker's stale token was refused"
    assert outcome.integrity == ["ok"] * 3
