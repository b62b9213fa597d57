from __future__ import annotations

import json
from pathlib import Path

from agenthub.server.openapi_dump import main


def test_the_schema_is_written_with_the_api_paths(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    main([str(target)])
    schema = json.loads(target.read_text())
    assert "/api/messages" in schema["paths"]
    assert "/" not in schema["paths"]  # the dashboard's own routes stay out of the API schema


def test_the_committed_schema_matches_the_hub() -> None:
    committed = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"
    from agenthub.server.openapi_dump import schema

    assert json.loads(committed.read_text()) == json.loads(json.dumps(schema())), "run `make openapi`"
