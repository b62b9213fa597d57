from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import pytest

from agenthub._ids import new_id, new_ordered_id


@pytest.mark.parametrize(("make", "version"), [(new_id, 4), (new_ordered_id, 7)])
def test_ids_are_uuids_of_their_version_and_unique(make: Callable[[], str], version: int) -> None:
    ids = {make() for _ in range(10_000)}
    assert len(ids) == 10_000
    for text in list(ids)[:1000]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (version, uuid.RFC_4122, text)


def test_ids_people_type_differ_in_their_first_characters() -> None:
    """The CLI shows 8 characters and takes any unique prefix."""
    assert len({new_id()[:8] for _ in range(100)}) == 100


def test_ordered_ids_carry_their_creation_time_and_sort_after_older_ones() -> None:
    before = time.time_ns() // 1_000_000
    first = new_ordered_id()
    time.sleep(0.002)
    second = new_ordered_id()
    after = time.time_ns() // 1_000_000
    assert before <= uuid.UUID(first).int >> 80 <= after
    assert first < second  # a later millisecond sorts later, as text too


@pytest.mark.parametrize("make", [new_id, new_ordered_id])
def test_a_forked_child_does_not_repeat_its_parents_ids(make: Callable[[], str]) -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, make().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    assert child != make()
