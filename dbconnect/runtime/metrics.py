"""The worker's Prometheus metrics: Kafka Connect's groups and names (docs/metrics.md).

One ``CollectorRegistry`` per worker (not prometheus-client's global one: tests run several
workers in one process). Nothing is updated on the hot paths here: at each scrape the collector
reads the worker's connectors and statuses, and the latest figures of each task — its own
``TaskFigures`` in thread mode, the last snapshot its task process sent in process mode. A task
that has left the worker has no series any more.

Names follow the usual JMX-exporter rule for Kafka Connect:
``kafka.connect<type=sink-task-metrics, connector=X, task=Y><>sink-record-read-total`` becomes
``kafka_connect_sink_task_metrics_sink_record_read_total{connector="X",task="Y"}``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from ..api.errors import ConfigError
from ..api.metrics import COUNTER, DEFAULT_BUCKETS, GAUGE, HISTOGRAM, SINCE
from .sampled_stats import Measured, Sampled, SampleWindow, frequencies, measure, measure_snapshot
from .stores.status import State

log = logging.getLogger(__name__)

# The windowed counts behind the *-rate figures (task_metrics.TaskFigures' snapshot "windows"):
# records in and out (poll/write, read/send), a sink's offset commits completed and skipped.
RATE_KEYS = ("records_in", "records_out", "commits_ok", "commits_skipped")
TASK_STATES = ("running", "paused", "failed", "unassigned", "restarting", "destroyed")


def _family(group: str, name: str) -> str:
    return f"kafka_connect_{group.replace('-', '_')}_{name.replace('-', '_')}"


class WorkerCounts:
    """Startup attempts, successes and failures (connect-worker-metrics), counted by the Worker.

    Herder threads, connector-process callbacks and REST handlers start connectors and tasks at
    the same time, and ``d[k] += 1`` is a read then a write: one lock keeps every start counted and
    a scrape's attempts never below its successes + failures. The ``-percentage`` figures are Kafka's
    Frequencies of the outcomes (1.0 success, 0.0 failure) in the metrics sample window.
    """

    def __init__(self, window: SampleWindow | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.window = window = window or SampleWindow()
        self.connector_startup = {"attempts": 0, "success": 0, "failure": 0}
        self.task_startup = {"attempts": 0, "success": 0, "failure": 0}
        now = clock()
        self._results = {"connector": Sampled(window, now), "task": Sampled(window, now)}

    def _outcome(self, what: str, counts: dict[str, int], ok: bool) -> None:
        counts["success" if ok else "failure"] += 1
        self._results[what].record(1.0 if ok else 0.0, self._clock())

    def connector_started(self, ok: bool | None) -> None:
        """``None``: the attempt is counted; its outcome comes later (a connector process)."""
        with self._lock:
            self.connector_startup["attempts"] += 1
            if ok is not None:
                self._outcome("connector", self.connector_startup, ok)

    def connector_outcome(self, ok: bool) -> None:
        with self._lock:
            self._outcome("connector", self.connector_startup, ok)

    def task_started(self, ok: bool) -> None:
        with self._lock:
            self.task_startup["attempts"] += 1
            self._outcome("task", self.task_startup, ok)

    def snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        """(connector, task) startup counts, read together."""
        with self._lock:
            return dict(self.connector_startup), dict(self.task_startup)

    def results(self, what: str) -> Measured:
        """``what``'s start outcomes in the window (1.0 success, 0.0 failure), read now."""
        with self._lock:
            samples = self._results[what].samples()
        return measure(samples, self.window, self._clock())


class RebalanceMetrics:
    """connect-worker-rebalance-metrics (distributed mode only), kept by the DistributedHerder.

    A rebalance runs from the worker's JoinGroup (or a lost session, or a revocation) until it acts
    on an assignment that revoked nothing, as the herder's 409 window does.
    """

    def __init__(self, protocol: str, clock: Callable[[], float] = time.monotonic,
                 window: SampleWindow | None = None) -> None:
        self.protocol = protocol
        self._clock = clock
        self._lock = threading.Lock()
        self.leader_name = ""
        self.epoch = -1
        self.completed = 0
        self._started: float | None = None
        self._last_completed: float | None = None
        self.use_window(window or SampleWindow())

    def use_window(self, window: SampleWindow) -> None:
        """rebalance-max/avg-time-ms over ``window`` (the worker's metrics.sample.window.ms ×
        metrics.num.samples; set when the herder hands these figures to the worker's collector)."""
        with self._lock:
            self.window = window
            self._times = Sampled(window, self._clock())

    def started(self) -> None:
        with self._lock:
            if self._started is None:
                self._started = self._clock()

    def completed_round(self, epoch: int, leader_name: str) -> None:
        with self._lock:
            now = self._clock()
            self.epoch, self.leader_name = epoch, leader_name or ""
            if self._started is not None:
                took = (now - self._started) * 1000.0
                self._started = None
                self.completed += 1
                self._times.record(took, now)
                self._last_completed = now

    def families(self) -> Iterable[Metric]:
        group = "connect-worker-rebalance-metrics"
        with self._lock:
            now = self._clock()
            times = measure(self._times.samples(), self.window, now)
            yield CounterMetricFamily(_family(group, "completed-rebalances"),
                                      "The total number of rebalances completed by this worker",
                                      value=self.completed)
            yield GaugeMetricFamily(_family(group, "rebalancing"), "1 while this worker is rebalancing",
                                    value=1 if self._started is not None else 0)
            yield GaugeMetricFamily(_family(group, "epoch"), "The epoch (generation) of the group", value=self.epoch)
            yield GaugeMetricFamily(_family(group, "rebalance-max-time-ms"),
                                    "The longest rebalance this worker completed in the metrics sample window (ms; "
                                    "NaN: none)", value=times.max)
            yield GaugeMetricFamily(_family(group, "rebalance-avg-time-ms"),
                                    "The average time of this worker's rebalances completed in the metrics sample "
                                    "window (ms; NaN: none)", value=times.avg)
            yield GaugeMetricFamily(_family(group, "time-since-last-rebalance-ms"),
                                    "Time since this worker completed its last rebalance (ms); -1 before the first",
                                    value=(now - self._last_completed) * 1000.0
                                    if self._last_completed is not None else -1)
            info = GaugeMetricFamily(_family(group, "info"),
                                     "1, labelled with the group's leader (its REST URL) and the Connect protocol",
                                     labels=["leader_name", "connect_protocol"])
            info.add_metric([self.leader_name, self.protocol], 1)
            yield info


def refuse_metric_reporters(config: Any) -> None:
    """metric.reporters names Java classes (JmxReporter, …) that cannot run here: refused at start."""
    reporters = config.get("metric.reporters") if config is not None else None
    names = [n.strip() for n in (reporters if isinstance(reporters, list) else str(reporters or "").split(","))
             if n and n.strip()]
    if names:
        raise ConfigError(
            f"metric.reporters={','.join(names)}: dbconnect cannot run metric reporters (Kafka's, such as "
            "JmxReporter, are Java classes); remove the setting. dbconnect's metrics are served in Prometheus "
            "text at GET /metrics on the REST listeners (and on metrics.listener). See docs/metrics.md")


class WorkerMetrics:
    """The collector of one worker, registered in its own registry (``self.registry``)."""

    def __init__(self, worker: Any, connectors: Callable[[], Iterable[str]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.worker = worker
        config = getattr(worker, "config", None)
        refuse_metric_reporters(config)
        # metrics.sample.window.ms × metrics.num.samples (sampled_stats.py): the tasks' -max/-avg/-rate
        # figures are sampled in that window where they run; the rebalance figures here.
        self.window = SampleWindow.from_config(config)
        # The clock of the tasks' samples (task_metrics.py): read at a scrape.
        self._clock = clock
        self.counts = WorkerCounts(self.window, clock)
        # The connector names to report: by default those this worker runs.
        self._connectors = connectors or (lambda: list(worker._connectors))
        # connector.class → (class name, type, version) of its plugin (connector-metrics).
        self._plugin_info: dict[str, tuple[str, str, str]] = {}
        self._lock = threading.Lock()
        # Tasks that failed on this worker and exited: rendered (status "failed") while the status
        # store says FAILED on this worker, as Kafka keeps a failed task's metric group until the
        # task is stopped (restarted, removed, moved).
        self._failed_tasks: dict[Any, Any] = {}
        # (task, name) of custom figures already logged as reported under two kinds.
        self._kind_conflicts: set[tuple[Any, str]] = set()
        # Set by the DistributedHerder: standalone workers have no rebalances (as in Kafka).
        self._rebalance: RebalanceMetrics | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    @property
    def rebalance(self) -> RebalanceMetrics | None:
        return self._rebalance

    @rebalance.setter
    def rebalance(self, rebalance: RebalanceMetrics | None) -> None:
        if rebalance is not None:
            rebalance.use_window(self.window)
        self._rebalance = rebalance

    def set_connectors_source(self, connectors: Callable[[], Iterable[str]]) -> None:
        self._connectors = connectors

    # -- what the task figures say, per task ------------------------------------------------------
    def task_failed(self, worker_task: Any) -> None:
        with self._lock:
            self._failed_tasks[worker_task.id] = worker_task

    def _still_failed(self, live: dict[Any, Any]) -> list[tuple[Any, Any]]:
        """The failed tasks to render; the others are forgotten."""
        status_store = self.worker.status_store
        kept = []
        with self._lock:
            for task_id, task in list(self._failed_tasks.items()):
                status = status_store.task(task_id)
                if task_id in live or status is None or status.state != State.FAILED or (
                        status.worker_id != self.worker.worker_id):
                    del self._failed_tasks[task_id]
                else:
                    kept.append((task_id, task))
        return kept

    def task_snapshots(self) -> list[tuple[Any, dict[str, Any], tuple[float, ...]]]:
        """``[(task id, latest snapshot, rates per second in the order of RATE_KEYS)]`` of the
        tasks this worker runs, and of those that failed on it (until restarted or removed)."""
        with self.worker._lock:
            tasks = list(self.worker._tasks.items())
        tasks += self._still_failed(dict(tasks))
        result = []
        now = self._clock()
        for task_id, task in tasks:
            snapshot = getattr(task, "metrics_snapshot", lambda: None)()
            if snapshot is None:
                continue
            # Kafka's Rate: the records of the sample window over its length (sampled_stats.py).
            rates = tuple(measure_snapshot(snapshot, key, now).rate() for key in RATE_KEYS)
            result.append((task_id, snapshot, rates))
        return result

    def summary(self) -> dict[str, Any]:
        """Per connector throughput and lag (GET /metrics/summary; docs/metrics.md)."""
        connectors: dict[str, Any] = {}
        status_store = self.worker.status_store
        for name in sorted(self._connectors()):
            status = status_store.connector(name)
            connectors[name] = {"state": status.state if status else None, "type": None, "tasks": {},
                                "records_in_total": 0, "records_out_total": 0,
                                "records_in_per_second": 0.0, "records_out_per_second": 0.0,
                                "record_errors_total": 0, "lag_seconds": None}
        now = time.time()
        for task_id, snap, (rate_in, rate_out, *_) in self.task_snapshots():
            entry = connectors.get(task_id.connector)
            if entry is None:
                continue
            errors = snap["errors"] or {}
            lag = max((now - v for kind, name, _labels, v in snap["custom"] if kind == SINCE
                       and name.endswith("lag_seconds")), default=None)
            entry["type"] = snap["kind"]
            entry["tasks"][str(task_id.task)] = {
                "records_in_total": snap["records_in"], "records_out_total": snap["records_out"],
                "records_in_per_second": round(rate_in, 3), "records_out_per_second": round(rate_out, 3),
                "record_errors_total": errors.get("record_errors", 0), "lag_seconds": lag,
                "updated": snap["taken"]}
            entry["records_in_total"] += snap["records_in"]
            entry["records_out_total"] += snap["records_out"]
            entry["records_in_per_second"] = round(entry["records_in_per_second"] + rate_in, 3)
            entry["records_out_per_second"] = round(entry["records_out_per_second"] + rate_out, 3)
            entry["record_errors_total"] += errors.get("record_errors", 0)
            if lag is not None and (entry["lag_seconds"] is None or lag > entry["lag_seconds"]):
                entry["lag_seconds"] = lag
        return {"worker_id": self.worker.worker_id, "time": now, "connectors": connectors}

    # -- the Prometheus collector -------------------------------------------------------------------
    def collect(self) -> Iterable[Metric]:
        yield from self._worker_families()
        if self.rebalance is not None:
            yield from self.rebalance.families()
        yield from self._task_families(self.task_snapshots())

    def _worker_families(self) -> Iterable[Metric]:
        group = "connect-worker-metrics"
        status_store = self.worker.status_store
        names = sorted(self._connectors())
        tasks_by_state = {state: GaugeMetricFamily(
            _family(group, f"connector-{state}-task-count"),
            f"The number of tasks of the connector in the {state} state on this worker",
            labels=["connector"]) for state in TASK_STATES}
        tasks_of_connector = GaugeMetricFamily(
            _family(group, "connector-total-task-count"),
            "The number of tasks of the connector on this worker", labels=["connector"])
        connector_status = GaugeMetricFamily(
            _family("connector-metrics", "status"),
            "1 for the connector's current status (the status label), Kafka's connector-metrics status",
            labels=["connector", "status"])
        connector_info = GaugeMetricFamily(
            _family("connector-metrics", "info"),
            "1, labelled with the connector's class, type (source/sink) and version: Kafka's connector-metrics "
            "connector-class, connector-type and connector-version",
            labels=["connector", "connector_class", "connector_type", "connector_version"])
        total_tasks = 0
        for name in names:
            status = status_store.connector(name)
            if status is not None:
                connector_status.add_metric([name, status.state.lower()], 1)
            info = self._connector_info(name)
            if info is not None:
                connector_info.add_metric([name, *info], 1)
            counts = dict.fromkeys(TASK_STATES, 0)
            for task_status in status_store.tasks(name).values():
                state = task_status.state.lower()
                if state in counts:
                    counts[state] += 1
            total_tasks += sum(counts.values())
            tasks_of_connector.add_metric([name], sum(counts.values()))
            for state, family in tasks_by_state.items():
                family.add_metric([name], counts[state])
        yield GaugeMetricFamily(_family(group, "connector-count"), "The number of connectors run in this worker",
                                value=len(names))
        yield GaugeMetricFamily(_family(group, "task-count"), "The number of tasks run in this worker",
                                value=total_tasks)
        yield tasks_of_connector
        yield from tasks_by_state.values()
        yield connector_status
        yield connector_info
        for what, counts in zip(("connector", "task"), self.counts.snapshot()):
            for outcome in ("attempts", "success", "failure"):
                # CounterMetricFamily appends _total (Kafka's names end in -total already).
                yield CounterMetricFamily(_family(group, f"{what}-startup-{outcome}"),
                                          f"The total number of {what} starts ({outcome}) on this worker",
                                          value=counts[outcome])
            for outcome, value in zip(("success", "failure"), frequencies(self.counts.results(what))):
                yield GaugeMetricFamily(
                    _family(group, f"{what}-startup-{outcome}-percentage"),
                    f"The fraction (0-1) of this worker's {what} starts in the metrics sample window that ended "
                    f"in {outcome}", value=value)

    def _connector_info(self, name: str) -> tuple[str, str, str] | None:
        """(class, type, version) of a connector whose instance this worker runs (its plugin's, read
        once per class: a version() call builds an instance), or None."""
        instance = self.worker._connectors.get(name)
        config = getattr(instance, "config", None)
        connector_class = config.get("connector.class") if config else None
        if not connector_class:
            return None
        info = self._plugin_info.get(connector_class)
        if info is None:
            desc = self.worker.plugins.find(connector_class)
            if desc is None:
                return None
            info = self._plugin_info[connector_class] = (desc.class_name, desc.type, desc.version)
        return info

    def _task_families(self, snapshots: list[tuple[Any, dict[str, Any], tuple[float, ...]]]) -> Iterable[Metric]:
        labels = ["connector", "task"]

        def gauge(group: str, name: str, doc: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(_family(group, name), doc, labels=labels)

        def counter(group: str, name: str, doc: str) -> Metric:
            # A Kafka name ending in -total is a Prometheus counter (the family name keeps its
            # _total); others (total-record-errors, deadletterqueue-produce-requests) keep Kafka's
            # name exactly as the JMX exporter rule gives it, typed gauge as the exporter does.
            if name.endswith("-total"):
                return CounterMetricFamily(_family(group, name.removesuffix("-total")), doc, labels=labels)
            return GaugeMetricFamily(_family(group, name), doc, labels=labels)

        ct = "connector-task-metrics"
        status = GaugeMetricFamily(_family(ct, "status"), "1 for the task's current status (the status label)",
                                   labels=["connector", "task", "status"])
        commit_ok = gauge(ct, "offset-commit-success-percentage", "The fraction of offset commits in the metrics sample window that succeeded")
        commit_fail = gauge(ct, "offset-commit-failure-percentage", "The fraction of offset commits in the metrics sample window that failed")
        commit_avg = gauge(ct, "offset-commit-avg-time-ms", "The average time in ms of an offset commit")
        commit_max = gauge(ct, "offset-commit-max-time-ms", "The longest time in ms of an offset commit")
        size_avg = gauge(ct, "batch-size-avg", "The average number of records in a batch (poll or put)")
        size_max = gauge(ct, "batch-size-max", "The largest number of records in a batch (poll or put)")
        running_ratio = gauge(ct, "running-ratio", "The fraction of its life the task has spent running")
        pause_ratio = gauge(ct, "pause-ratio", "The fraction of its life the task has spent paused")
        st, sk, te = "source-task-metrics", "sink-task-metrics", "task-error-metrics"
        poll_total = counter(st, "source-record-poll-total", "Records returned by the task's poll()")
        poll_rate = gauge(st, "source-record-poll-rate", "Records returned by poll() per second (over the metrics sample window)")
        write_total = counter(st, "source-record-write-total", "Records handed to the producer (after transformations)")
        write_rate = gauge(st, "source-record-write-rate", "Records handed to the producer per second (over the metrics sample window)")
        poll_avg = gauge(st, "poll-batch-avg-time-ms", "The average time in ms of a poll() that returned records")
        poll_max = gauge(st, "poll-batch-max-time-ms", "The longest time in ms of a poll() that returned records")
        active_doc = {"source": "records polled by the task but not yet acknowledged by Kafka",
                      "sink": "records read from Kafka but not yet committed by the task"}
        active = {kind: (gauge(group, f"{kind}-record-active-count", f"The number of {active_doc[kind]}"),
                         gauge(group, f"{kind}-record-active-count-max",
                               f"The largest number of {active_doc[kind]} (in the metrics sample window)"),
                         gauge(group, f"{kind}-record-active-count-avg",
                               f"The average number of {active_doc[kind]} (in the metrics sample window)"))
                  for kind, group in (("source", "source-task-metrics"), ("sink", "sink-task-metrics"))}
        read_total = counter(sk, "sink-record-read-total", "Records read from Kafka by the task's consumer")
        read_rate = gauge(sk, "sink-record-read-rate", "Records read per second (over the metrics sample window)")
        send_total = counter(sk, "sink-record-send-total", "Records sent to the task's put() (after transformations)")
        send_rate = gauge(sk, "sink-record-send-rate", "Records sent to put() per second (over the metrics sample window)")
        put_avg = gauge(sk, "put-batch-avg-time-ms", "The average time in ms of a put() of records")
        put_max = gauge(sk, "put-batch-max-time-ms", "The longest time in ms of a put() of records")
        partitions = gauge(sk, "partition-count", "The number of topic partitions assigned to the task")
        completions = counter(sk, "offset-commit-completion-total", "Offset commits that completed")
        completion_rate = gauge(sk, "offset-commit-completion-rate", "Offset commits completed per second (over the metrics sample window)")
        skips = counter(sk, "offset-commit-skip-total", "Offset commits skipped (the task was abandoned)")
        skip_rate = gauge(sk, "offset-commit-skip-rate", "Offset commits skipped per second (over the metrics sample window)")
        seq_no = gauge(sk, "offset-commit-seq-no", "The sequence number of the task's last offset commit (commits begun)")
        error_families = {
            "record_failures": counter(te, "total-record-failures", "Record processing failures, retried ones included"),
            "record_errors": counter(te, "total-record-errors", "Records that failed for good (after any retries)"),
            "records_skipped": counter(te, "total-records-skipped", "Records skipped because of errors (errors.tolerance=all)"),
            "retries": counter(te, "total-retries", "Operations retried after a retriable error"),
            "errors_logged": counter(te, "total-errors-logged", "Errors written to the log (errors.log.enable)"),
            "dlq_produce_requests": counter(te, "deadletterqueue-produce-requests", "Records sent to the dead letter queue"),
            "dlq_produce_failures": counter(te, "deadletterqueue-produce-failures", "Failed writes to the dead letter queue"),
        }
        last_error = gauge(te, "last-error-timestamp", "The time of the last error, in ms since the epoch (0: none)")
        custom: dict[str, tuple[str, Metric]] = {}
        now = time.time()
        clock_now = self._clock()
        status_store = self.worker.status_store
        for task_id, snap, (rate_in, rate_out, commit_rate, skip_rate_value) in snapshots:
            values = [task_id.connector, str(task_id.task)]
            task_status = status_store.task(task_id)
            if task_status is not None:
                status.add_metric([*values, task_status.state.lower()], 1)
            success, failure = frequencies(measure_snapshot(snap, "commit_results", clock_now))
            commit_ok.add_metric(values, success)
            commit_fail.add_metric(values, failure)
            # -max/-avg: Kafka's Max and Avg over the sample window (NaN: nothing in it).
            commit_time = measure_snapshot(snap, "commit_time", clock_now)
            commit_avg.add_metric(values, 1000.0 * commit_time.avg)
            commit_max.add_metric(values, 1000.0 * commit_time.max)
            batch_size = measure_snapshot(snap, "batch_size", clock_now)
            size_avg.add_metric(values, batch_size.avg)
            size_max.add_metric(values, batch_size.max)
            running_ratio.add_metric(values, snap.get("running_ratio", 0.0))
            pause_ratio.add_metric(values, snap.get("pause_ratio", 0.0))
            batch_time = measure_snapshot(snap, "batch_time", clock_now)
            time_avg, time_max = 1000.0 * batch_time.avg, 1000.0 * batch_time.max
            if snap["kind"] == "source":
                poll_total.add_metric(values, snap["records_in"])
                poll_rate.add_metric(values, rate_in)
                write_total.add_metric(values, snap["records_out"])
                write_rate.add_metric(values, rate_out)
                poll_avg.add_metric(values, time_avg)
                poll_max.add_metric(values, time_max)
                kind = "source"
            else:
                read_total.add_metric(values, snap["records_in"])
                read_rate.add_metric(values, rate_in)
                send_total.add_metric(values, snap["records_out"])
                send_rate.add_metric(values, rate_out)
                put_avg.add_metric(values, time_avg)
                put_max.add_metric(values, time_max)
                partitions.add_metric(values, snap["partitions"] or 0)
                completions.add_metric(values, snap["commits_ok"])
                completion_rate.add_metric(values, commit_rate)
                skips.add_metric(values, snap["commits_skipped"])
                skip_rate.add_metric(values, skip_rate_value)
                seq_no.add_metric(values, snap["commits_ok"] + snap["commits_failed"])
                kind = "sink"
            active_window = measure_snapshot(snap, "active", clock_now)
            for family, value in zip(active[kind], (snap["active"], active_window.max, active_window.avg)):
                family.add_metric(values, value)
            errors = snap["errors"]
            if errors is not None:
                for key, family in error_families.items():
                    family.add_metric(values, errors.get(key, 0))
                last_error.add_metric(values, errors.get("last_error_timestamp") or 0)
            for kind, name, extra, value in snap["custom"]:
                if not _add_custom(custom, kind, name, values, extra, value, now) and (
                        (task_id, name) not in self._kind_conflicts):
                    self._kind_conflicts.add((task_id, name))
                    log.warning("Task %s-%s reports dbconnect_%s as a %s, which another task reports as another "
                                "kind: its figure is left out of GET /metrics", task_id.connector, task_id.task,
                                name, kind)
        yield status
        yield from (commit_ok, commit_fail, commit_avg, commit_max, size_avg, size_max, running_ratio, pause_ratio)
        yield from (poll_total, poll_rate, write_total, write_rate, poll_avg, poll_max, *active["source"])
        yield from (read_total, read_rate, send_total, send_rate, put_avg, put_max, partitions, completions, completion_rate, skips,
                    skip_rate, seq_no)
        yield from active["sink"]
        yield from error_families.values()
        yield last_error
        yield from (family for _, family in custom.values())


def _add_custom(families: dict[str, tuple[str, Metric]], kind: str, name: str, values: list[str],
                extra: tuple[tuple[str, str], ...], value: Any, now: float) -> bool:
    """One figure a task reported through its context's ``metrics`` (api/metrics.py), added to the
    one family of its name: tasks may report a name with other labels (Prometheus takes one family
    whose series differ in labels, but refuses a scrape with a second HELP/TYPE for a name). False,
    and nothing added, when the name is already another kind's in this scrape."""
    labels = {"connector": values[0], "task": values[1], **dict(extra)}
    full = f"dbconnect_{name}"
    base = full.removesuffix("_total") if kind == COUNTER else full
    exposed = f"{base}_total" if kind == COUNTER else base  # the name in the text format's HELP/TYPE
    known = families.get(exposed)
    if known is None:
        doc = f"{name} (reported by the task)"
        family: Metric = (CounterMetricFamily(base, doc) if kind == COUNTER else
                          HistogramMetricFamily(base, doc) if kind == HISTOGRAM else GaugeMetricFamily(base, doc))
        known = families[exposed] = (kind, family)
    # A since figure is a gauge too (seconds elapsed at the scrape).
    if known[0] != kind and {known[0], kind} != {GAUGE, SINCE}:
        return False
    family = known[1]
    if kind == HISTOGRAM:
        counts, count, total = value
        cumulative = 0
        for bound, n in zip(DEFAULT_BUCKETS, counts):
            cumulative += n
            family.add_sample(f"{base}_bucket", {**labels, "le": repr(float(bound))}, cumulative)
        family.add_sample(f"{base}_bucket", {**labels, "le": "+Inf"}, count)
        family.add_sample(f"{base}_count", labels, count)
        family.add_sample(f"{base}_sum", labels, total)
    elif kind == COUNTER:
        family.add_sample(f"{base}_total", labels, value)
    elif kind == SINCE:
        family.add_sample(base, labels, max(0.0, now - value))
    else:
        family.add_sample(base, labels, value)
    return True
