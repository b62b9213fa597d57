from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_skip_fails_under_ci(tmp_path: Path) -> None:
    (tmp_path / "test_skipping.py").write_text("import pytest\n\ndef test_x():\n    pytest.skip('no tool')\n")
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    (tmp_path / "conftest.py").write_text(conftest.replace("from tests.hubproc import HubProcess", "HubProcess = None"))
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    under_ci = subprocess.run(run, env={**os.environ, "CI": "true"}, capture_output=True, text=True, cwd=tmp_path)
    local = subprocess.run(run, env={**os.environ, "CI": "false"}, capture_output=True, text=True, cwd=tmp_path)
    assert under_ci.returncode == 1, under_ci.stdout
    assert "1 failed" in under_ci.stdout
    assert local.returncode == 0 and "1 skipped" in local.stdout
