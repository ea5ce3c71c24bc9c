"""The sink runtime's GC settings (runtime/sink_task.settle_heap)."""

from __future__ import annotations

import gc
import weakref

from dbconnect.runtime import sink_task


def test_settle_heap_freezes_and_raises_the_young_threshold_without_lowering_it():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        sink_task.settle_heap()
        assert gc.get_threshold() == (sink_task.GC_YOUNG_THRESHOLD, 10, 10)
        assert gc.get_freeze_count() > 0
        gc.set_threshold(sink_task.GC_YOUNG_THRESHOLD * 2, 5, 7)
        sink_task.settle_heap()  # a higher setting (the operator's) stays
        assert gc.get_threshold() == (sink_task.GC_YOUNG_THRESHOLD * 2, 5, 7)

        class Cycle:
            pass

        c = Cycle()
        c.me = c
        alive = weakref.ref(c)
        sink_task.settle_heap()  # the cycle is frozen now...
        del c
        gc.collect()
        assert alive() is not None
        sink_task.settle_heap()  # ...and collected by the next settle (unfreeze, collect)
        assert alive() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
