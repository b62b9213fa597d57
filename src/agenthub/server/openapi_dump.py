"""Write the hub's OpenAPI schema, from which the dashboard's TypeScript client is generated.

`python -m agenthub.server.openapi_dump [PATH]` (default `frontend/openapi.json`); `make openapi` runs it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson


def schema() -> dict[str, Any]:
    """The schema of a hub built on a throwaway data dir (nothing is started or served)."""
    from agenthub.server import create_app
    from agenthub.settings import HubSettings

    with tempfile.TemporaryDirectory() as data_dir:
        settings = HubSettings(data_dir=Path(data_dir), token="openapi-dump")
        return create_app(settings).openapi()


def main(argv: list[str]) -> None:
    target = Path(argv[0] if argv else "frontend/openapi.json")
    target.write_bytes(orjson.dumps(schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    sys.stdout.write(f"wrote {target}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
