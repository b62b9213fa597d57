"""Ids: UUID4 strings from a per-process generator seeded from the OS once.

Ids must be unique, not secret (tokens come from `secrets`), and `uuid.uuid4()` makes a system call per id,
which is the single largest cost of a publish on a loaded machine.
"""

from __future__ import annotations

import os
import random

_generator = random.Random(os.urandom(32))


def _reseed() -> None:
    _generator.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)  # a forked child must not repeat its parent's ids


_VERSION_4 = 0x00000000_0000_4000_8000_000000000000  # the version nibble 4 and the RFC 4122 variant bits
_KEEP = 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF


def new_id() -> str:
    """A random UUID4 in its usual text form (formatted here: `uuid.UUID` costs twice as much)."""
    text = "%032x" % (_generator.getrandbits(128) & _KEEP | _VERSION_4)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
