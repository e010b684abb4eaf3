"""A service process freezes its start-up heap once (`eventing.app.freeze_startup_heap`), so the
collector's full collections walk only what it created since."""

from __future__ import annotations

import gc

from eventing.app import freeze_startup_heap
from eventing.rebuild import _collector_spared


def test_the_start_up_heap_is_frozen_once_per_process() -> None:
    kept = [[n] for n in range(1_000)]  # alive before: frozen with the rest of start-up
    frozen = freeze_startup_heap()
    assert frozen == gc.get_freeze_count() > len(kept)

    made_since = [[n] for n in range(1_000)]
    assert freeze_startup_heap() == frozen  # a second app in the process does not freeze again
    assert gc.get_freeze_count() == frozen
    assert len(made_since) == 1_000


def test_a_rebuild_in_the_process_leaves_the_start_up_heap_frozen() -> None:
    freeze_startup_heap()
    with _collector_spared():
        pass
    assert gc.get_freeze_count() > 0
