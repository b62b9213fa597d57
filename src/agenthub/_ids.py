"""Ids: UUIDs from a per-process generator seeded from the OS once (`uuid.uuid4()` makes a system call per id).

Ids must be unique, not secret (tokens come from `secrets`). Two kinds:

- `new_id()`, a random UUID4, for what people see and type: the CLI shows the first 8 characters and
  accepts any unique prefix, so the first characters must differ from one id to the next.
- `new_ordered_id()`, a UUID7 (RFC 9562) that starts with its creation time in milliseconds, for the rows
  that come by the thousand a second and are never typed (messages, their `msg_id`s, task assignments).
  Each table indexes its ids, and an id that lands at the end of the index costs a fraction of a random one:
  with random ids, SQLite stored half the message rows a second (`docs/benchmarks.md`).
"""

from __future__ import annotations

import os
import random
import time

_generator = random.Random(os.urandom(32))


def _reseed() -> None:
    _generator.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)  # a forked child must not repeat its parent's ids


_KEEP = 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF  # clears the version nibble and the variant bits
_VERSION_4 = 0x00000000_0000_4000_8000_000000000000  # the version nibble 4 and the RFC 4122 variant bits
_VERSION_7 = 0x00000000_0000_7000_8000_000000000000


def _text(bits: int) -> str:
    """The usual text form (formatted here: `uuid.UUID` costs twice as much)."""
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def new_id() -> str:
    """A random UUID4."""
    return _text(_generator.getrandbits(128) & _KEEP | _VERSION_4)


def new_ordered_id() -> str:
    """A UUID7: 48 bits of Unix milliseconds, then 74 random bits; later ids sort after earlier ones."""
    return _text((time.time_ns() // 1_000_000 << 80 | _generator.getrandbits(80)) & _KEEP | _VERSION_7)
