"""Bench only: a task's metric recorders replaced by no-op ones, to measure what metrics cost.

Not a user setting and not part of the package: ``bench/jdbc_source.py --ab N`` and
``bench/jdbc_sink.py --ab N`` alternate runs with the real recorders (A) and with these (B) on the
same services and data. What B leaves out, per batch, in the task loops (source_task.py,
sink_task.py): ``TaskFigures.batch``, ``commit``, ``active_count``, the rate samples the
``records_in``/``records_out`` setters take, and every
``context.metrics`` call of the connector (``counter``, ``gauge``, ``since``, ``observe``), plus
the task process's once-a-second snapshot to the worker. What B keeps: the counter additions
themselves (``records_in``/``records_out``) and the ``time.monotonic()`` pair around each
``poll()``/``put()``, which the measured per-call costs in BENCHMARKS.md account for.

How it reaches the task processes: ``install(switch)`` adds this module to the fork server's
preload list (``child_process.FORKSERVER_PRELOAD``) before the worker starts its fork server, puts
bench/ on PYTHONPATH (for the fork server's interpreter) and exports the switch path in
``DBCONNECT_BENCH_NOOP_METRICS``. Each task, as it is built, gets no-op
figures while the file ``switch`` exists, the real ones otherwise — so one bench process (one
fork server) can alternate A and B. ``python bench/noop_metrics.py <dbconnect.cli arguments>``
runs the worker CLI with the same patch (bench/jdbc_sink.py's worker is a separate process).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SWITCH_ENV = "DBCONNECT_BENCH_NOOP_METRICS"


class NoopTaskMetrics:
    """``dbconnect.api.metrics.TaskMetrics`` that records nothing."""

    def counter(self, name, amount=1, **labels) -> None:
        pass

    def gauge(self, name, value, **labels) -> None:
        pass

    def since(self, name, epoch_seconds, **labels) -> None:
        pass

    def observe(self, name, seconds, **labels) -> None:
        pass

    def remove(self, name, **labels) -> None:
        pass

    def snapshot(self) -> list:
        return []


def _patch() -> None:
    from dbconnect.runtime import task_host, worker_task
    from dbconnect.runtime.task_metrics import TaskFigures

    if getattr(worker_task, "_bench_noop_patched", False):
        return

    class NoopFigures(TaskFigures):
        __slots__ = ()

        def __init__(self, kind: str, errors=None, window=None) -> None:
            super().__init__(kind, errors, window)
            self.custom = NoopTaskMetrics()

        # Plain counters: no samples for the -rate figures either.
        @property
        def records_in(self) -> int:
            return self._records_in

        @records_in.setter
        def records_in(self, value: int) -> None:
            self._records_in = value

        @property
        def records_out(self) -> int:
            return self._records_out

        @records_out.setter
        def records_out(self, value: int) -> None:
            self._records_out = value

        def batch(self, size: int, seconds: float) -> None:
            pass

        def commit(self, ok: bool, seconds: float) -> None:
            pass

        def active_count(self, count: int) -> None:
            pass

    def figures(kind: str, errors=None, window=None) -> TaskFigures:
        switch = os.environ.get(SWITCH_ENV)
        if switch and os.path.exists(switch):
            with open(f"{switch}.used", "a", encoding="utf-8") as fh:  # the bench checks B really ran
                fh.write(f"{kind}\n")
            return NoopFigures(kind, errors, window)
        return TaskFigures(kind, errors, window)

    report = task_host._report_figures

    def report_figures(channel, worker_task_, exited) -> None:
        if not isinstance(worker_task_.figures, NoopFigures):
            report(channel, worker_task_, exited)

    worker_task.TaskFigures = figures
    task_host._report_figures = report_figures
    worker_task._bench_noop_patched = True
    worker_task._bench_noop_class = NoopFigures


def used(switch: str | Path) -> int:
    """How many tasks got no-op figures so far (B runs must add one each, A runs none)."""
    path = Path(f"{switch}.used")
    return len(path.read_text().splitlines()) if path.exists() else 0


def install(switch: str | Path) -> None:
    """Patch this process and the fork server it will start (call before the worker starts)."""
    from dbconnect.runtime import child_process

    os.environ[SWITCH_ENV] = str(switch)
    # The fork server is a fresh interpreter that ignores our sys.path (CPython 3.11's
    # forkserver.main drops it): it finds this module through PYTHONPATH, inherited.
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])])
    if "noop_metrics" not in child_process.FORKSERVER_PRELOAD:
        child_process.FORKSERVER_PRELOAD.append("noop_metrics")
    _patch()


if os.environ.get(SWITCH_ENV) and __name__ != "__main__":
    _patch()  # imported by the fork server (preload): its task processes inherit the patch


if __name__ == "__main__":
    sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
    install(os.environ[SWITCH_ENV])
    from dbconnect.cli import main

    sys.exit(main(sys.argv[1:]))
