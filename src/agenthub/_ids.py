"""Ids: UUID4 strings from a per-process generator seeded from the OS once.

Ids must be unique, not secret (tokens come from `secrets`), and `uuid.uuid4()` makes a system call per id,
which is the single largest cost of a publish on a loaded machine.
"""

from __future__ import annotations

import os
import random
import uuid

_generator = random.Random(os.urandom(32))


def _reseed() -> None:
    _generator.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)  # a forked child must not repeat its parent's ids


def new_id() -> str:
    return str(uuid.UUID(int=_generator.getrandbits(128), version=4))
