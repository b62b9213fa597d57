from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import routing

from agenthub.server import create_app
from agenthub.settings import HubSettings


async def test_every_route_is_resolved_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FastAPI resolves an included router's routes when a request first reaches it (about 250 ms for the
    hub's, paid by the first WebSocket connection); the hub has it done while it starts instead."""
    app = create_app(HubSettings(data_dir=tmp_path))
    resolved: list[Any] = []
    resolve = routing._IncludedRouter._build_effective_context

    def counted(self: routing._IncludedRouter, route: Any) -> Any:
        resolved.append(route)
        return resolve(self, route)

    monkeypatch.setattr(routing._IncludedRouter, "_build_effective_context", counted)
    async with app.router.lifespan_context(app):
        at_start = len(resolved)
        assert sum(1 for _ in routing.iter_route_contexts(app.routes)) > 80  # what a request walks through
    assert at_start > 80
    assert len(resolved) == at_start
