"""The figures of one task, kept where the task runs (its thread or its task process).

Plain attributes, updated once per batch by the task loops (source_task.py, sink_task.py); the
worker renders them (metrics.py). In a task process a snapshot crosses the pipe about once a
second and once more at exit (``("metrics", snapshot)``, task_host.py): never per record.
See docs/metrics.md and docs/design/task-processes.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..api.metrics import TaskMetrics
from .sampled_stats import Measured, Sampled, SampleWindow, measure_snapshot

# How often a task process sends its figures to the worker (seconds).
SNAPSHOT_INTERVAL = 1.0


class TaskFigures:
    """Counts of one task since it started, and its windowed figures (Kafka's source-/sink-task-metrics,
    connector-task-metrics).

    ``-max``/``-avg`` figures and the records behind the ``-rate`` figures are kept in Kafka's
    metric sample window (``metrics.sample.window.ms`` × ``metrics.num.samples``, sampled_stats.py):
    one O(1) ``Sampled.record`` per batch, commit or active-count sample. ``records_in`` and
    ``records_out`` stay plain-looking counters (the loops add to them once per batch); their setters
    record what was added for the rates.
    """

    __slots__ = ("kind", "_records_in", "_records_out", "batches", "batch_time_total",
                 "batch_size_total", "commits_ok", "commits_failed", "commit_time_total",
                 "_commits_skipped", "started", "custom", "errors", "partitions",
                 "active", "_state", "_state_since", "_running", "_paused",
                 "window", "_clock", "_batch_size", "_batch_time", "_commit_time", "_active", "_in", "_out",
                 "_completions", "_skips", "_commit_results")

    def __init__(self, kind: str, errors: Any = None, window: SampleWindow | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.kind = kind                # "source" or "sink"
        self._records_in = 0            # source: returned by poll(); sink: read from Kafka
        self._records_out = 0           # source: handed to the producer; sink: sent to put()
        self.batches = 0                # poll() batches (source) / put() calls with records (sink)
        self.batch_time_total = 0.0     # seconds in poll() (source) / put() (sink)
        self.batch_size_total = 0
        self.commits_ok = 0
        self.commits_failed = 0
        self._commits_skipped = 0
        self.commit_time_total = 0.0
        self.started = time.time()
        self.custom = TaskMetrics()     # the connector's own figures (context.metrics)
        self.errors = errors            # the task's ErrorHandler (its counters are plain attributes)
        self.partitions = None          # a callable: the sink's assigned partition count
        # Records in the pipeline (Kafka's source-/sink-record-active-count): a source's polled but
        # not yet acknowledged by the broker, a sink's read but not yet committed. One sample per
        # batch or commit (``active_count``); max and avg are over the sample window.
        self.active = 0
        # The sample window (worker settings metrics.sample.window.ms, metrics.num.samples) and the
        # clock of its samples (monotonic: the worker reads a task process's samples on its own).
        self.window = window = window or SampleWindow()
        self._clock = clock
        now = clock()
        self._batch_size = Sampled(window, now)
        self._batch_time = Sampled(window, now)
        self._commit_time = Sampled(window, now)
        self._active = Sampled(window, now)
        self._in = Sampled(window, now)
        self._out = Sampled(window, now)
        self._completions = Sampled(window, now)  # offset-commit-completion-rate
        self._skips = Sampled(window, now)        # offset-commit-skip-rate
        # 1.0 per commit that succeeded, 0.0 per failure: offset-commit-success/failure-percentage
        # are their frequencies in the window (Kafka's Frequencies.forBooleanValues).
        self._commit_results = Sampled(window, now)
        # Seconds spent RUNNING / PAUSED before the current state began (running-ratio, pause-ratio).
        self._state: str | None = None
        self._state_since = time.monotonic()
        self._running = 0.0
        self._paused = 0.0

    @property
    def records_in(self) -> int:
        return self._records_in

    @records_in.setter
    def records_in(self, value: int) -> None:
        self._in.record(value - self._records_in, self._clock())
        self._records_in = value

    @property
    def records_out(self) -> int:
        return self._records_out

    @records_out.setter
    def records_out(self, value: int) -> None:
        self._out.record(value - self._records_out, self._clock())
        self._records_out = value

    @property
    def commits_skipped(self) -> int:
        return self._commits_skipped

    @commits_skipped.setter
    def commits_skipped(self, value: int) -> None:
        self._skips.record(value - self._commits_skipped, self._clock())
        self._commits_skipped = value

    def state(self, state: str) -> None:
        """The task reported ``state`` (RUNNING, PAUSED, …): close the time spent in the last one."""
        now = time.monotonic()
        self._add_state_time(now)
        self._state, self._state_since = state, now

    def _add_state_time(self, now: float) -> None:
        if self._state == "RUNNING":
            self._running += now - self._state_since
        elif self._state == "PAUSED":
            self._paused += now - self._state_since
        self._state_since = now

    def ratios(self) -> tuple[float, float]:
        """(running-ratio, pause-ratio): fractions of the task's life so far."""
        now = time.monotonic()
        running, paused = self._running, self._paused
        if self._state == "RUNNING":
            running += now - self._state_since
        elif self._state == "PAUSED":
            paused += now - self._state_since
        life = max(time.time() - self.started, 1e-9)
        return min(running / life, 1.0), min(paused / life, 1.0)

    def batch(self, size: int, seconds: float) -> None:
        self.batches += 1
        self.batch_time_total += seconds
        self.batch_size_total += size
        now = self._clock()
        self._batch_time.record(seconds, now)
        self._batch_size.record(size, now)

    def active_count(self, count: int) -> None:
        """A sample of the active record count (Kafka's sensor: value, max, avg)."""
        self.active = count
        self._active.record(count, self._clock())

    def commit(self, ok: bool, seconds: float) -> None:
        now = self._clock()
        if ok:
            self.commits_ok += 1
            self._completions.record(1, now)
        else:
            self.commits_failed += 1
        self._commit_results.record(1.0 if ok else 0.0, now)
        self.commit_time_total += seconds
        self._commit_time.record(seconds, now)

    def measure(self, name: str, now: float | None = None) -> Measured:
        """One windowed figure read now (``name``: a key of the snapshot's ``windows``)."""
        return measure_snapshot(self.snapshot(), name, self._clock() if now is None else now)

    def snapshot(self) -> dict[str, Any]:
        """A picklable copy, taken now."""
        errors = self.errors
        partitions = self.partitions
        running_ratio, pause_ratio = self.ratios()
        return {
            "running_ratio": running_ratio, "pause_ratio": pause_ratio,
            "kind": self.kind, "taken": time.time(), "started": self.started,
            "records_in": self.records_in, "records_out": self.records_out,
            "batches": self.batches, "batch_time_total": self.batch_time_total,
            "batch_size_total": self.batch_size_total, "commits_ok": self.commits_ok,
            "commits_failed": self.commits_failed, "commits_skipped": self.commits_skipped,
            "commit_time_total": self.commit_time_total,
            "partitions": partitions() if partitions is not None else None,
            "active": self.active,
            # The samples behind the -max/-avg/-rate figures; the worker reads them at a scrape
            # (sampled_stats.measure_snapshot), so that a figure leaves the window between snapshots too.
            "sample_window": tuple(self.window),
            "windows": {"batch_size": self._batch_size.samples(), "batch_time": self._batch_time.samples(),
                        "commit_time": self._commit_time.samples(), "active": self._active.samples(),
                        "records_in": self._in.samples(), "records_out": self._out.samples(),
                        "commits_ok": self._completions.samples(), "commits_skipped": self._skips.samples(),
                        "commit_results": self._commit_results.samples()},
            "errors": None if errors is None else {
                "record_failures": errors.record_failures, "record_errors": errors.record_errors,
                "records_skipped": errors.records_skipped, "retries": errors.retries,
                "errors_logged": errors.errors_logged,
                "dlq_produce_requests": errors.dlq_produce_requests,
                "dlq_produce_failures": errors.dlq_produce_failures,
                "last_error_timestamp": errors.last_error_timestamp,
            },
            "custom": self.custom.snapshot(),
        }
