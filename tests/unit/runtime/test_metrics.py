"""The worker's collector: Kafka Connect's names, labels, one registry per worker, tasks gone → series gone."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.metrics import WorkerMetrics
from dbconnect.runtime.sampled_stats import SampleWindow
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore, State, Status
from dbconnect.runtime.task_metrics import TaskFigures


def _worker(tasks: dict) -> SimpleNamespace:
    status = MemoryStatusBackingStore()
    worker = SimpleNamespace(_lock=threading.RLock(), _tasks=tasks, _connectors={}, status_store=status,
                             worker_id="127.0.0.1:8083")
    for task_id in tasks:
        worker._connectors[task_id.connector] = None
        status.put_connector(task_id.connector, Status(State.RUNNING, worker.worker_id))
        status.put_task(task_id, Status(State.RUNNING, worker.worker_id))
    return worker


def _samples(metrics: WorkerMetrics) -> dict[tuple[str, tuple], float]:
    text = generate_latest(metrics.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _task(figures: TaskFigures) -> SimpleNamespace:
    return SimpleNamespace(metrics_snapshot=figures.snapshot)


def test_source_sink_and_error_figures_under_kafka_names():
    source_id, sink_id = ConnectorTaskId("src", 0), ConnectorTaskId("snk", 2)
    source = TaskFigures("source", ErrorHandler("src", 0, {}))
    source.records_in, source.records_out = 10, 8
    source.batch(10, 0.004)
    source.commit(True, 0.002)
    source.commit(False, 0.006)
    sink_errors = ErrorHandler("snk", 2, {})
    sink_errors.record_errors, sink_errors.records_skipped, sink_errors.last_error_timestamp = 3, 2, 1234
    sink = TaskFigures("sink", sink_errors)
    sink.records_in, sink.records_out = 7, 5
    sink.partitions = lambda: 4
    sink.custom.counter("jdbc_sink_rows_written_total", 5, table="t", kind="insert")
    worker = _worker({source_id: _task(source), sink_id: _task(sink)})
    samples = _samples(WorkerMetrics(worker))
    src, snk = (("connector", "src"), ("task", "0")), (("connector", "snk"), ("task", "2"))
    assert samples[("kafka_connect_source_task_metrics_source_record_poll_total", src)] == 10
    assert samples[("kafka_connect_source_task_metrics_source_record_write_total", src)] == 8
    assert samples[("kafka_connect_source_task_metrics_poll_batch_max_time_ms", src)] == 4.0
    assert samples[("kafka_connect_connector_task_metrics_offset_commit_success_percentage", src)] == 0.5
    assert samples[("kafka_connect_connector_task_metrics_offset_commit_max_time_ms", src)] == 6.0
    assert samples[("kafka_connect_connector_task_metrics_batch_size_max", src)] == 10
    assert samples[("kafka_connect_sink_task_metrics_sink_record_read_total", snk)] == 7
    assert samples[("kafka_connect_sink_task_metrics_sink_record_send_total", snk)] == 5
    assert samples[("kafka_connect_sink_task_metrics_partition_count", snk)] == 4
    assert samples[("kafka_connect_task_error_metrics_total_record_errors", snk)] == 3
    assert samples[("kafka_connect_task_error_metrics_total_records_skipped", snk)] == 2
    assert samples[("kafka_connect_task_error_metrics_last_error_timestamp", snk)] == 1234
    assert samples[("kafka_connect_connector_task_metrics_status", (("connector", "snk"), ("status", "running"), ("task", "2")))] == 1
    assert samples[("dbconnect_jdbc_sink_rows_written_total", (("connector", "snk"), ("kind", "insert"), ("table", "t"), ("task", "2")))] == 5
    # A source task has no sink series and the reverse.
    assert ("kafka_connect_sink_task_metrics_sink_record_read_total", src) not in samples
    assert ("kafka_connect_source_task_metrics_source_record_poll_total", snk) not in samples


def test_worker_counts_by_state_and_startups():
    t0, t1 = ConnectorTaskId("c", 0), ConnectorTaskId("c", 1)
    worker = _worker({t0: _task(TaskFigures("sink")), t1: _task(TaskFigures("sink"))})
    worker.status_store.put_task(t1, Status(State.FAILED, worker.worker_id, "trace"))
    metrics = WorkerMetrics(worker)
    metrics.counts.task_started(True)
    metrics.counts.task_started(False)
    metrics.counts.connector_started(None)  # a connector process: the outcome comes later
    metrics.counts.connector_outcome(True)
    samples = _samples(metrics)
    c = (("connector", "c"),)
    assert samples[("kafka_connect_connect_worker_metrics_connector_count", ())] == 1
    assert samples[("kafka_connect_connect_worker_metrics_task_count", ())] == 2
    assert samples[("kafka_connect_connect_worker_metrics_connector_running_task_count", c)] == 1
    assert samples[("kafka_connect_connect_worker_metrics_connector_failed_task_count", c)] == 1
    assert samples[("kafka_connect_connect_worker_metrics_task_startup_attempts_total", ())] == 2
    assert samples[("kafka_connect_connect_worker_metrics_task_startup_failure_total", ())] == 1
    assert samples[("kafka_connect_connect_worker_metrics_task_startup_failure_percentage", ())] == 0.5
    assert samples[("kafka_connect_connect_worker_metrics_connector_startup_success_percentage", ())] == 1.0
    assert samples[("kafka_connect_connect_worker_metrics_connector_startup_attempts_total", ())] == 1
    assert samples[("kafka_connect_connect_worker_metrics_connector_startup_success_total", ())] == 1
    assert samples[("kafka_connect_connector_metrics_status", (*c, ("status", "running")))] == 1


def test_a_task_that_left_the_worker_has_no_series():
    task_id = ConnectorTaskId("c", 0)
    worker = _worker({task_id: _task(TaskFigures("source"))})
    metrics = WorkerMetrics(worker)
    key = ("kafka_connect_source_task_metrics_source_record_poll_total", (("connector", "c"), ("task", "0")))
    assert key in _samples(metrics)
    del worker._tasks[task_id]
    assert key not in _samples(metrics)


def test_each_worker_has_its_own_registry():
    a = WorkerMetrics(_worker({ConnectorTaskId("a", 0): _task(TaskFigures("source"))}))
    b = WorkerMetrics(_worker({ConnectorTaskId("b", 0): _task(TaskFigures("source"))}))
    assert a.registry is not b.registry
    assert {labels for name, labels in _samples(a) if name.endswith("poll_total")} == {(("connector", "a"), ("task", "0"))}


def test_a_process_task_without_a_snapshot_yet_is_left_out():
    worker = _worker({ConnectorTaskId("c", 0): SimpleNamespace(metrics_snapshot=lambda: None)})
    assert not [n for n, _ in _samples(WorkerMetrics(worker)) if n.startswith("kafka_connect_source")]


def test_rates_and_lag_in_the_summary():
    clock = [1000.0]
    # Kafka's Rate over a 10 s × 2 sample window: the window's records over the time since its oldest
    # sample began (sampled_stats.py).
    figures = TaskFigures("source", window=SampleWindow(10.0, 2), clock=lambda: clock[0])
    task_id = ConnectorTaskId("c", 0)
    worker = _worker({task_id: _task(figures)})
    metrics = WorkerMetrics(worker, clock=lambda: clock[0])
    metrics.summary()
    figures.records_in, figures.records_out = 100, 50
    figures.custom.since("jdbc_source_replication_lag_seconds", 0.0, table="t")
    clock[0] += 12.5
    summary = metrics.summary()
    entry = summary["connectors"]["c"]
    assert entry["records_in_per_second"] == 8.0 and entry["records_out_per_second"] == 4.0
    assert entry["records_in_total"] == 100 and entry["type"] == "source" and entry["state"] == "RUNNING"
    assert entry["lag_seconds"] >= summary["time"] - 1  # now − 0 (the epoch)
    assert entry["tasks"]["0"]["records_out_total"] == 50


def test_running_and_pause_ratios_follow_the_reported_states():
    figures = TaskFigures("source")
    assert figures.ratios() == (0.0, 0.0)  # no state reported yet
    figures.started -= 10.0  # the task has lived 10 s
    figures.state("RUNNING")
    figures._state_since -= 6.0  # …of which it ran 6 s
    figures.state("PAUSED")
    figures._state_since -= 2.0  # …and has been paused for 2 s
    running, paused = figures.ratios()
    assert running == pytest.approx(0.6, abs=0.01) and paused == pytest.approx(0.2, abs=0.01)
    snapshot = figures.snapshot()
    assert snapshot["running_ratio"] == pytest.approx(0.6, abs=0.01)


def test_active_counts_and_connector_info_under_kafka_names():
    source_id, sink_id = ConnectorTaskId("src", 0), ConnectorTaskId("snk", 1)
    source, sink = TaskFigures("source"), TaskFigures("sink")
    for count in (6, 2):
        source.active_count(count)
    sink.active_count(9)
    worker = _worker({source_id: _task(source), sink_id: _task(sink)})
    worker._connectors["src"] = SimpleNamespace(config={"connector.class": "JdbcSourceConnector"})
    worker._connectors["snk"] = None  # no instance here (e.g. not started): no info series
    desc = SimpleNamespace(class_name="io.confluent.connect.jdbc.JdbcSourceConnector", type="source", version="1.2.3")
    worker.plugins = SimpleNamespace(find=lambda name: desc if name == "JdbcSourceConnector" else None)
    samples = _samples(WorkerMetrics(worker))
    src, snk = (("connector", "src"), ("task", "0")), (("connector", "snk"), ("task", "1"))
    assert samples[("kafka_connect_source_task_metrics_source_record_active_count", src)] == 2
    assert samples[("kafka_connect_source_task_metrics_source_record_active_count_max", src)] == 6
    assert samples[("kafka_connect_source_task_metrics_source_record_active_count_avg", src)] == 4
    assert samples[("kafka_connect_sink_task_metrics_sink_record_active_count", snk)] == 9
    assert samples[("kafka_connect_sink_task_metrics_sink_record_active_count_max", snk)] == 9
    assert samples[("kafka_connect_sink_task_metrics_sink_record_active_count_avg", snk)] == 9
    assert ("kafka_connect_sink_task_metrics_sink_record_active_count", src) not in samples
    assert ("kafka_connect_source_task_metrics_source_record_active_count", snk) not in samples
    info = [(labels, v) for (name, labels), v in samples.items() if name == "kafka_connect_connector_metrics_info"]
    assert info == [((("connector", "src"), ("connector_class", "io.confluent.connect.jdbc.JdbcSourceConnector"),
                      ("connector_type", "source"), ("connector_version", "1.2.3")), 1)]


def test_one_family_per_name_when_tasks_report_a_figure_with_different_labels_or_kinds(caplog):
    """Two plugins' tasks (or one task) reporting the same name with other labels, or as another
    kind: Prometheus refuses a whole scrape with a second HELP/TYPE for one name."""
    a, b, c = ConnectorTaskId("a", 0), ConnectorTaskId("b", 0), ConnectorTaskId("c", 0)
    fa, fb, fc = TaskFigures("source"), TaskFigures("source"), TaskFigures("sink")
    fa.custom.counter("rows_total", 3, table="t")
    fb.custom.counter("rows_total", 4, table="t", shard="1")
    fb.custom.counter("rows_total", 5)
    fc.custom.gauge("rows_total", 9, table="t")  # another kind under the same name
    metrics = WorkerMetrics(_worker({a: _task(fa), b: _task(fb), c: _task(fc)}))
    text = generate_latest(metrics.registry).decode()
    assert text.count("# TYPE dbconnect_rows_total counter") == 1, text
    assert text.count("# HELP dbconnect_rows_total ") == 1 and "# TYPE dbconnect_rows_total gauge" not in text
    samples = _samples(metrics)
    assert samples[("dbconnect_rows_total", (("connector", "a"), ("table", "t"), ("task", "0")))] == 3
    assert samples[("dbconnect_rows_total", (("connector", "b"), ("shard", "1"), ("table", "t"), ("task", "0")))] == 4
    assert samples[("dbconnect_rows_total", (("connector", "b"), ("task", "0")))] == 5
    assert not [k for k in samples if ("connector", "c") in k[1] and k[0].startswith("dbconnect_")]
    assert "dbconnect_rows_total" in caplog.text and "c-0" in caplog.text  # the left-out figure is logged


def test_a_failed_task_keeps_its_series_while_its_status_is_failed_here():
    task_id = ConnectorTaskId("c", 0)
    figures = TaskFigures("sink")
    figures.records_in = 4
    worker = _worker({task_id: _task(figures)})
    metrics = WorkerMetrics(worker)
    failed = worker._tasks.pop(task_id)  # the task exited after failing
    worker.status_store.put_task(task_id, Status(State.FAILED, worker.worker_id, "trace"))
    metrics.task_failed(SimpleNamespace(id=task_id, metrics_snapshot=failed.metrics_snapshot))
    key = ("kafka_connect_connector_task_metrics_status", (("connector", "c"), ("status", "failed"), ("task", "0")))
    read = ("kafka_connect_sink_task_metrics_sink_record_read_total", (("connector", "c"), ("task", "0")))
    assert _samples(metrics)[key] == 1 and _samples(metrics)[read] == 4
    # Restarted elsewhere (or here: RUNNING, or removed): its failed figures are forgotten.
    worker.status_store.put_task(task_id, Status(State.RUNNING, "other:8083"))
    assert key not in _samples(metrics) and read not in _samples(metrics)
    assert metrics._failed_tasks == {}
