"""Size rules for free-form input (metadata and other JSON values) that the wire models cannot bound alone."""

from __future__ import annotations

import orjson

from agenthub.errors import InvalidField, TooLarge


def check_json_size(value: object, limit: int, what: str) -> None:
    """Refuse (413 `<what>_too_large`) a JSON value whose encoding is over `limit` bytes, and (422) one the hub
    cannot store as it came: integers beyond 64 bits."""
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:
        raise InvalidField(
            f"{what} holds a value the hub cannot store (integers must fit in 64 bits)", code=f"invalid_{what}"
        ) from None
    if len(encoded) > limit:
        raise TooLarge(f"{what} is over {limit} bytes as JSON", code=f"{what}_too_large")
