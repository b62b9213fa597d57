"""`agenthub serve` tunes the garbage collector before it serves (the e2e metrics test sees the frozen heap)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from agenthub.cli.serve import GC_THRESHOLDS, _settle_heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_settle_heap_freezes_what_exists_and_raises_the_thresholds() -> None:
    kept = [[index] for index in range(1000)]  # containers alive now are frozen with the rest
    _settle_heap()
    assert gc.get_threshold() == GC_THRESHOLDS == (50_000, 20, 10)
    assert gc.get_freeze_count() >= len(kept)
    collectable = {id(o) for o in gc.get_objects()}  # frozen objects are in no generation
    assert not any(id(item) in collectable for item in kept)
