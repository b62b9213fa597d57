"""Load: 200 concurrent WebSocket agents for 10 s on one hub lose nothing (`make soak`: 1,000 for 60 s)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.load import run


def test_two_hundred_concurrent_agents_exchanging_messages_lose_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, agents=200, seconds=10, processes=2, interval=1.0)
    assert result.sent >= 200 * 5
    assert result.deliveries_expected >= result.sent
    assert (result.lost, result.duplicated, result.unexpected, result.out_of_order) == ([], [], [], [])
    assert result.dropped_connections == 0
    assert result.delivered == result.deliveries_expected
