from __future__ import annotations

import itertools
from collections.abc import Iterator
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
