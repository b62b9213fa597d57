"""Memory under crashes: acknowledged CAS increments survive SIGKILLs of the hub (`casloop.py`)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.casloop import run


def test_cas_increments_acknowledged_before_a_kill_are_all_present_after_restart(tmp_path: Path) -> None:
    outcome = run(tmp_path, increments=60, workers=3, cycles=2, seed=7)
    assert outcome.kills == 2
    assert outcome.acknowledged >= 2 * 60
    assert outcome.missing == [], "acknowledged increments lost"
    assert outcome.repeated == []
    assert outcome.lost_updates == []
    assert outcome.final_n == 3 * 60 and outcome.final_version == 3 * 60 + 1
    assert outcome.integrity == ["ok"] * 3
