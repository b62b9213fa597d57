from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agenthub.hub import Hub
from agenthub.settings import HubSettings
from agenthub.storage.sqlite import SQLiteStorage


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    """A started hub in this process, on a SQLite file in `tmp_path` (`hub.db`)."""
    started = Hub(HubSettings(data_dir=tmp_path), SQLiteStorage(tmp_path / "hub.db"))
    await started.start()
    try:
        yield started
    finally:
        await started.stop()
