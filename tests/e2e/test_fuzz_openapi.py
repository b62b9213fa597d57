"""Schema fuzzing: schemathesis generates requests from `/openapi.json` against a live hub, with an agent token
and with the operator token; no answer may be a server error or disagree with the schema."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hubproc import HubProcess

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
ROOT = Path(__file__).resolve().parents[2]


def _schemathesis(hub: HubProcess, token: str, workdir: Path, examples: int, *extra: str) -> int:
    """Run schemathesis; fail with its report unless every case passed. Returns the number of cases."""
    workdir.mkdir(parents=True, exist_ok=True)
    # Long polls answer at once (tests/e2e/schemathesis_hooks.py), so no case only times the client out.
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{hub.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "1",
        "--no-shrink",
        "--request-timeout",
        "20",
        *extra,
    ]
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated is not None, report
    assert generated[1] == generated[2], report
    return int(generated[1])


@pytest.mark.timeout(900)
def test_generated_requests_never_get_a_server_error_or_an_answer_outside_the_schema(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub").start()
    try:
        _, token = hub.register("fuzzer")
        # The agent could delete itself (that is allowed) and lose its token for the rest of the run.
        cases = _schemathesis(hub, token, tmp_path / "agent", 12, "--exclude-method", "DELETE")
        cases += _schemathesis(hub, hub.token, tmp_path / "operator", 6)
        assert cases >= 2000
        assert "Traceback" not in hub.log_path.read_text()
    finally:
        hub.stop()
