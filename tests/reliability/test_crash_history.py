"""The history checker under crashes: a short crash loop (`make soak` runs the long one)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.crashloop import Config, run


def test_hub_killed_and_restarted_repeatedly_loses_duplicates_and_reorders_nothing(tmp_path: Path) -> None:
    outcome = run(tmp_path, Config(cycles=3, min_acks=60, max_acks=250, seed=3))
    assert outcome.kills == 3
    assert outcome.integrity == ["ok"] * 4, "PRAGMA integrity_check after every kill and at the end"
    report = outcome.report
    assert report.acknowledged >= 3 * 60
    assert (report.lost, report.unexpected, report.duplicated, report.out_of_order) == ([], [], [], []), (
        report.describe()
    )
    assert report.delivered >= report.acknowledged  # each channel value reaches every subscriber
