"""Size rules for free-form input (metadata and other JSON values) that the wire models cannot bound alone."""

from __future__ import annotations

import orjson

from agenthub.errors import TooLarge


def check_json_size(value: object, limit: int, what: str) -> None:
    """Refuse (413 `<what>_too_large`) a JSON value whose encoding is over `limit` bytes."""
    if len(orjson.dumps(value)) > limit:
        raise TooLarge(f"{what} is over {limit} bytes as JSON", code=f"{what}_too_large")
