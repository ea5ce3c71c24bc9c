"""The figures API connectors report through (context.metrics)."""

from __future__ import annotations

import pickle

import pytest

from dbconnect.api.metrics import DEFAULT_BUCKETS, TaskMetrics
from dbconnect.api.task import SinkTaskContext, SourceTaskContext


def _figures(metrics: TaskMetrics) -> dict:
    return {(kind, name, labels): value for kind, name, labels, value in metrics.snapshot()}


def test_counters_add_gauges_set_and_labels_are_strings():
    metrics = TaskMetrics()
    metrics.counter("rows_read_total", 3, table="a")
    metrics.counter("rows_read_total", 4, table="a")
    metrics.counter("rows_read_total", 1, table="b")
    metrics.gauge("offset", 5, table="a")
    metrics.gauge("offset", 7, table="a")
    metrics.since("lag_seconds", 100.5, table="a")
    assert _figures(metrics) == {
        ("counter", "rows_read_total", (("table", "a"),)): 7,
        ("counter", "rows_read_total", (("table", "b"),)): 1,
        ("gauge", "offset", (("table", "a"),)): 7,
        ("since", "lag_seconds", (("table", "a"),)): 100.5,
    }
    pickle.dumps(metrics.snapshot())  # it crosses the task process's pipe


def test_labels_in_any_order_or_unhashable_are_one_series_each():
    metrics = TaskMetrics()
    metrics.counter("rows_total", 1, table="a", kind="insert")
    metrics.counter("rows_total", 2, kind="insert", table="a")  # the same series, labels reordered
    metrics.counter("rows_total", 4, table=["a"], kind="insert")  # unhashable: its text is the label
    metrics.counter("rows_total", 8, table=["a"], kind="insert")
    assert _figures(metrics) == {
        ("counter", "rows_total", (("kind", "insert"), ("table", "a"))): 3,
        ("counter", "rows_total", (("kind", "insert"), ("table", "['a']"))): 12,
    }


def test_histogram_counts_each_observation_in_one_bucket():
    metrics = TaskMetrics()
    for seconds in (0.0005, 0.003, 0.003, 99.0):
        metrics.observe("write_seconds", seconds, table="t")
    (kind, name, labels, (buckets, count, total)), = metrics.snapshot()
    assert (kind, name, count) == ("histogram", "write_seconds", 4)
    assert total == pytest.approx(99.0065)
    assert buckets[DEFAULT_BUCKETS.index(0.001)] == 1 and buckets[DEFAULT_BUCKETS.index(0.005)] == 2
    assert sum(buckets) == 3  # 99 s is above every bound: only in +Inf (the count)


def test_bad_names_kinds_and_reserved_labels_are_refused():
    metrics = TaskMetrics()
    with pytest.raises(ValueError, match="Invalid metric name 'Rows-Read'"):
        metrics.counter("Rows-Read")
    with pytest.raises(ValueError, match="the labels 'connector' and 'task' are set by the runtime"):
        metrics.gauge("x", 1, task="3")
    metrics.counter("n_total")
    with pytest.raises(ValueError, match="Metric 'n_total' is a counter, not a gauge"):
        metrics.gauge("n_total", 1)


def test_remove_forgets_one_series():
    metrics = TaskMetrics()
    metrics.gauge("offset", 1, table="a")
    metrics.gauge("offset", 2, table="b")
    metrics.remove("offset", table="a")
    assert [labels for _, _, labels, _ in metrics.snapshot()] == [(("table", "b"),)]


def test_both_task_contexts_offer_metrics():
    assert isinstance(SourceTaskContext(None).metrics, TaskMetrics)
    assert isinstance(SinkTaskContext().metrics, TaskMetrics)
