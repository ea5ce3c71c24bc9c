"""The figures of one task, kept where the task runs (its thread or its task process).

Plain attributes, updated once per batch by the task loops (source_task.py, sink_task.py); the
worker renders them (metrics.py). In a task process a snapshot crosses the pipe about once a
second and once more at exit (``("metrics", snapshot)``, task_host.py): never per record.
See docs/metrics.md and docs/design/task-processes.md.
"""

from __future__ import annotations

import time
from typing import Any

from ..api.metrics import TaskMetrics

# How often a task process sends its figures to the worker (seconds).
SNAPSHOT_INTERVAL = 1.0


class TaskFigures:
    """Counts of one task since it started (Kafka's source-/sink-task-metrics, connector-task-metrics)."""

    __slots__ = ("kind", "records_in", "records_out", "batches", "batch_time_total", "batch_time_max",
                 "batch_size_total", "batch_size_max", "commits_ok", "commits_failed", "commit_time_total",
                 "commit_time_max", "commits_skipped", "started", "custom", "errors", "partitions",
                 "active", "active_max", "active_sum", "active_samples", "_state", "_state_since", "_running", "_paused")

    def __init__(self, kind: str, errors: Any = None) -> None:
        self.kind = kind                # "source" or "sink"
        self.records_in = 0             # source: returned by poll(); sink: read from Kafka
        self.records_out = 0            # source: handed to the producer; sink: sent to put()
        self.batches = 0                # poll() batches (source) / put() calls with records (sink)
        self.batch_time_total = 0.0     # seconds in poll() (source) / put() (sink)
        self.batch_time_max = 0.0
        self.batch_size_total = 0
        self.batch_size_max = 0
        self.commits_ok = 0
        self.commits_failed = 0
        self.commits_skipped = 0
        self.commit_time_total = 0.0
        self.commit_time_max = 0.0
        self.started = time.time()
        self.custom = TaskMetrics()     # the connector's own figures (context.metrics)
        self.errors = errors            # the task's ErrorHandler (its counters are plain attributes)
        self.partitions = None          # a callable: the sink's assigned partition count
        # Records in the pipeline (Kafka's source-/sink-record-active-count): a source's polled but
        # not yet acknowledged by the broker, a sink's read but not yet committed. One sample per
        # batch or commit (``active_count``); max and avg are over those samples since the start.
        self.active = 0
        self.active_max = 0
        self.active_sum = 0
        self.active_samples = 0
        # Seconds spent RUNNING / PAUSED before the current state began (running-ratio, pause-ratio).
        self._state: str | None = None
        self._state_since = time.monotonic()
        self._running = 0.0
        self._paused = 0.0

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
        if seconds > self.batch_time_max:
            self.batch_time_max = seconds
        self.batch_size_total += size
        if size > self.batch_size_max:
            self.batch_size_max = size

    def active_count(self, count: int) -> None:
        """A sample of the active record count (Kafka's sensor: value, max, avg)."""
        self.active = count
        if count > self.active_max:
            self.active_max = count
        self.active_sum += count
        self.active_samples += 1

    def commit(self, ok: bool, seconds: float) -> None:
        if ok:
            self.commits_ok += 1
        else:
            self.commits_failed += 1
        self.commit_time_total += seconds
        if seconds > self.commit_time_max:
            self.commit_time_max = seconds

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
            "batch_time_max": self.batch_time_max, "batch_size_total": self.batch_size_total,
            "batch_size_max": self.batch_size_max, "commits_ok": self.commits_ok,
            "commits_failed": self.commits_failed, "commits_skipped": self.commits_skipped,
            "commit_time_total": self.commit_time_total, "commit_time_max": self.commit_time_max,
            "partitions": partitions() if partitions is not None else None,
            "active": self.active, "active_max": self.active_max,
            "active_avg": self.active_sum / self.active_samples if self.active_samples else 0.0,
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
