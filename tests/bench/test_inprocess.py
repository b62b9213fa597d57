"""`python -m bench.inprocess` runs, so that it cannot rot. It measures nothing: timing is the bench's job."""

from __future__ import annotations

import re

import pytest
from bench.inprocess import main


@pytest.mark.parametrize(("workload", "rate", "each"), [("publish", "msg/s", "message"), ("tasks", "tasks/s", "task")])
def test_each_workload_reports_its_rate_and_cpu(
    workload: str, rate: str, each: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main([workload, "--seconds", "0.3"])
    line = capsys.readouterr().out.strip()
    pattern = (
        rf"{workload} in process: ([\d,]+) {rate}, [\d.]+ cores \(busiest thread [\d.]+\), (\d+) us of CPU a {each}"
    )
    found = re.fullmatch(pattern, line)
    assert found is not None, line
    assert int(found[1].replace(",", "")) > 0
    assert int(found[2]) > 0
