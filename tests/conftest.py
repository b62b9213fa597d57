from __future__ import annotations

import itertools
import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.hubproc import HubProcess

_names = itertools.count()


@pytest.fixture(scope="session")
def shared_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub for tests that only need isolation by agent and channel names (use `unique`)."""
    hub = HubProcess(tmp_path_factory.mktemp("shared-hub")).start()
    yield hub
    hub.stop()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    """A hub of the test's own, on its own database, that the test may kill and restart."""
    process = HubProcess(tmp_path / "hub").start()
    yield process
    if process.proc is not None:
        process.stop()


@pytest.fixture
def unique() -> str:
    """A name part no other test uses, for agents and channels on the shared hub."""
    return f"t{next(_names)}x{id(object()) % 100000}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    """Under CI=true a test that would skip (a missing tool, a missing service) fails instead."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must not happen: {report.longrepr}"
