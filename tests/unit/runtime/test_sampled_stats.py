"""Kafka's metric sample window (metrics.sample.window.ms × metrics.num.samples), with a clock of our own."""

from __future__ import annotations

import math
import threading
from types import SimpleNamespace

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dbconnect.api.errors import ConfigError
from dbconnect.runtime.connect import StandaloneConnect
from dbconnect.runtime.metrics import RebalanceMetrics, WorkerMetrics, refuse_metric_reporters
from dbconnect.runtime.sampled_stats import Sampled, SampleWindow, measure
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.task_metrics import TaskFigures
from dbconnect.runtime.worker_config import WorkerConfig

WINDOW = SampleWindow(seconds=10.0, samples=2)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_max_leaves_the_window_after_num_samples_windows_without_a_newer_value_in_its_sample():
    stat = Sampled(WINDOW, 0.0)
    stat.record(500, 1.0)    # the big one, in the first sample [0, 10)
    stat.record(3, 12.0)     # a second sample begins at 12
    assert measure(stat.samples(), WINDOW, 20.9).max == 500
    # The first sample's last value (at 1.0) is 2 × 10 s old at 21.0: obsolete, as Kafka's purge.
    assert measure(stat.samples(), WINDOW, 21.0).max == 3
    # And the second at 32.0: nothing left, NaN as Kafka's Max and Avg of no samples.
    empty = measure(stat.samples(), WINDOW, 32.0)
    assert math.isnan(empty.max) and math.isnan(empty.avg) and empty.sum == 0


def test_avg_and_max_are_over_the_samples_of_the_window_only():
    stat = Sampled(WINDOW, 0.0)
    for value, at in ((100, 1.0), (2, 11.0), (4, 12.0), (6, 22.0)):
        stat.record(value, at)
    # At 25: the sample begun at 0 (last value at 1.0) is obsolete; 11–12 and 22 remain.
    measured = measure(stat.samples(), WINDOW, 25.0)
    assert (measured.max, measured.avg, measured.sum) == (6, 4.0, 12)


def test_slots_are_recycled_num_samples_plus_one_of_them():
    stat = Sampled(WINDOW, 0.0)
    for i in range(10):
        stat.record(i, 10.0 * i)  # one sample each
    assert len(stat.samples()) == 3  # Kafka keeps metrics.num.samples + 1
    assert measure(stat.samples(), WINDOW, 95.0).max == 9
    assert measure(stat.samples(), WINDOW, 95.0).sum == 8 + 9  # 7's sample (last at 70) is 25 s old


def test_rate_window_is_at_least_num_samples_minus_one_full_windows():
    window = SampleWindow(seconds=10.0, samples=3)
    stat = Sampled(window, 0.0)
    stat.record(60, 1.0)
    # 5 s since the oldest sample began, less than the 2 full windows Kafka's Rate.windowSize asks.
    assert measure(stat.samples(), window, 5.0).rate_seconds == 25.0
    assert measure(stat.samples(), window, 5.0).rate() == 60 / 25.0
    # 24 s since it began: 2 full windows, the elapsed time itself.
    assert measure(stat.samples(), window, 24.0).rate_seconds == 24.0


def _samples(metrics: WorkerMetrics) -> dict[str, float]:
    text = generate_latest(metrics.registry).decode()
    return {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples
            if s.labels.get("connector") in (None, "c")}


def _worker(figures: TaskFigures, **config: str) -> SimpleNamespace:
    task_id = ConnectorTaskId("c", 0)
    return SimpleNamespace(_lock=threading.RLock(), _tasks={task_id: SimpleNamespace(metrics_snapshot=figures.snapshot)},
                           _connectors={"c": None}, status_store=MemoryStatusBackingStore(), worker_id="w",
                           config=WorkerConfig({"key.converter": "x", "value.converter": "x", **config}))


def test_task_figures_on_metrics_follow_the_sample_window_and_render_nan_when_empty():
    clock = Clock()
    worker_settings = {"metrics.sample.window.ms": "1000", "metrics.num.samples": "2"}
    window = SampleWindow.from_config(WorkerConfig({"key.converter": "x", "value.converter": "x", **worker_settings}))
    assert window == SampleWindow(1.0, 2)
    figures = TaskFigures("sink", window=window, clock=clock)
    metrics = WorkerMetrics(_worker(figures, **worker_settings), clock=clock)
    prefix = "kafka_connect_connector_task_metrics_"
    before = _samples(metrics)
    assert math.isnan(before[prefix + "batch_size_max"]) and math.isnan(before[prefix + "batch_size_avg"])
    assert math.isnan(before["kafka_connect_sink_task_metrics_put_batch_max_time_ms"])
    assert before["kafka_connect_sink_task_metrics_sink_record_send_rate"] == 0.0
    figures.batch(500, 0.2)
    figures.records_out += 500
    figures.commit(True, 0.05)
    clock.now += 1.5
    figures.batch(10, 0.01)
    figures.records_out += 10
    clock.now += 0.25
    shown = _samples(metrics)
    assert shown[prefix + "batch_size_max"] == 500 and shown[prefix + "batch_size_avg"] == 255
    assert shown["kafka_connect_sink_task_metrics_put_batch_max_time_ms"] == 200
    assert shown[prefix + "offset_commit_max_time_ms"] == 50
    # 510 records since the oldest sample began 1.75 s ago.
    assert shown["kafka_connect_sink_task_metrics_sink_record_send_rate"] == pytest.approx(510 / 1.75)
    clock.now += 0.25  # 2 × 1 s after the big batch: it has left the window; the small one has not
    later = _samples(metrics)
    assert later[prefix + "batch_size_max"] == 10 and later[prefix + "batch_size_avg"] == 10
    assert math.isnan(later[prefix + "offset_commit_max_time_ms"])
    assert later[prefix + "batch_size_max"] != 500
    assert later["kafka_connect_sink_task_metrics_sink_record_send_total"] == 510  # -total: since the start


def test_offset_commit_completion_and_skip_rates_follow_the_sample_window():
    clock = Clock()
    settings = {"metrics.sample.window.ms": "1000", "metrics.num.samples": "2"}
    figures = TaskFigures("sink", window=SampleWindow(1.0, 2), clock=clock)
    metrics = WorkerMetrics(_worker(figures, **settings), clock=clock)
    sink = "kafka_connect_sink_task_metrics_"
    for _ in range(3):
        figures.commit(True, 0.01)
    figures.commit(False, 0.01)  # a failed commit is no completion
    figures.commits_skipped += 1
    clock.now += 0.5
    shown = _samples(metrics)
    # 3 completions and 1 skip over Kafka's Rate window: the 0.5 s elapsed plus the missing full
    # windows up to num.samples − 1 (one of 1 s): 1.5 s.
    assert shown[sink + "offset_commit_completion_rate"] == pytest.approx(3 / 1.5)
    assert shown[sink + "offset_commit_skip_rate"] == pytest.approx(1 / 1.5)
    assert shown[sink + "offset_commit_completion_total"] == 3
    clock.now += 2.0  # 2 × 1 s later: out of the window, the totals stay
    later = _samples(metrics)
    assert later[sink + "offset_commit_completion_rate"] == 0.0 and later[sink + "offset_commit_skip_rate"] == 0.0
    assert later[sink + "offset_commit_completion_total"] == 3 and later[sink + "offset_commit_skip_total"] == 1


def test_offset_commit_success_and_failure_percentages_are_frequencies_in_the_window():
    clock = Clock()
    figures = TaskFigures("source", window=SampleWindow(1.0, 2), clock=clock)
    metrics = WorkerMetrics(_worker(figures, **{"metrics.sample.window.ms": "1000", "metrics.num.samples": "2"}),
                            clock=clock)
    task = "kafka_connect_connector_task_metrics_"
    figures.commit(False, 0.01)
    figures.commit(False, 0.01)
    clock.now += 1.5
    figures.commit(True, 0.01)
    shown = _samples(metrics)
    assert shown[task + "offset_commit_success_percentage"] == pytest.approx(1 / 3)
    assert shown[task + "offset_commit_failure_percentage"] == pytest.approx(2 / 3)
    clock.now += 0.6  # the two failures' sample is 2.1 s old: out of the 2 × 1 s window
    later = _samples(metrics)
    assert later[task + "offset_commit_success_percentage"] == 1.0
    assert later[task + "offset_commit_failure_percentage"] == 0.0
    clock.now += 5.0  # no commit in the window: Kafka's Frequencies say 0 for both
    empty = _samples(metrics)
    assert empty[task + "offset_commit_success_percentage"] == 0.0
    assert empty[task + "offset_commit_failure_percentage"] == 0.0


def test_worker_startup_percentages_are_frequencies_in_the_window():
    clock = Clock()
    metrics = WorkerMetrics(_worker(TaskFigures("sink"), **{"metrics.sample.window.ms": "1000",
                                                           "metrics.num.samples": "2"}), clock=clock)
    worker = "kafka_connect_connect_worker_metrics_"
    metrics.counts.task_started(False)
    metrics.counts.connector_started(None)  # an attempt whose outcome comes later
    clock.now += 1.5
    metrics.counts.task_started(True)
    metrics.counts.connector_outcome(True)
    shown = _samples(metrics)
    assert shown[worker + "task_startup_success_percentage"] == 0.5
    assert shown[worker + "task_startup_failure_percentage"] == 0.5
    assert shown[worker + "connector_startup_success_percentage"] == 1.0
    clock.now += 0.6  # the failed start's sample has left the 2 × 1 s window
    assert _samples(metrics)[worker + "task_startup_success_percentage"] == 1.0
    clock.now += 5.0
    empty = _samples(metrics)
    assert empty[worker + "task_startup_success_percentage"] == 0.0
    assert empty[worker + "task_startup_failure_percentage"] == 0.0
    assert empty[worker + "task_startup_attempts_total"] == 2  # -total: since the start


def test_rebalance_max_and_avg_leave_the_window():
    clock = Clock()
    rebalance = RebalanceMetrics("sessioned", clock=clock)
    worker = _worker(TaskFigures("sink"), **{"metrics.sample.window.ms": "5000", "metrics.num.samples": "3"})
    metrics = WorkerMetrics(worker, clock=clock)
    metrics.rebalance = rebalance  # as the DistributedHerder hands it over: the worker's window applies
    assert rebalance.window == SampleWindow(5.0, 3)
    rebalance.started()
    clock.now += 4.0
    rebalance.completed_round(1, "http://a:8083")
    prefix = "kafka_connect_connect_worker_rebalance_metrics_"
    assert _samples(metrics)[prefix + "rebalance_max_time_ms"] == 4000
    clock.now += 15.0  # 3 × 5 s after it
    figures = _samples(metrics)
    assert math.isnan(figures[prefix + "rebalance_max_time_ms"]) and math.isnan(figures[prefix + "rebalance_avg_time_ms"])
    assert figures[prefix + "completed_rebalances_total"] == 1


@pytest.mark.parametrize("key", ["metrics.sample.window.ms", "metrics.num.samples"])
def test_zero_samples_or_window_is_refused_with_kafkas_message(key):
    with pytest.raises(ConfigError) as refused:
        WorkerConfig({"key.converter": "x", "value.converter": "x", key: "0"})
    assert f"Invalid value 0 for configuration {key}: Value must be at least 1" in str(refused.value)


def test_recording_level_is_validated_as_kafka_does():
    config = WorkerConfig({"key.converter": "x", "value.converter": "x", "metrics.recording.level": "DEBUG"})
    assert config.get("metrics.recording.level") == "DEBUG"
    with pytest.raises(ConfigError, match="Invalid value WARN for configuration metrics.recording.level: "
                                          "String must be one of: INFO, DEBUG, TRACE"):
        WorkerConfig({"key.converter": "x", "value.converter": "x", "metrics.recording.level": "WARN"})


def test_metric_reporters_are_refused_at_worker_start():
    jmx = "org.apache.kafka.common.metrics.JmxReporter"
    props = {"bootstrap.servers": "127.0.0.1:1", "listeners": "http://127.0.0.1:0",
             "key.converter": "org.apache.kafka.connect.storage.StringConverter",
             "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    with pytest.raises(ConfigError) as refused:
        StandaloneConnect({**props, "metric.reporters": jmx})
    message = str(refused.value)
    assert message.startswith(f"metric.reporters={jmx}: dbconnect cannot run metric reporters")
    assert "GET /metrics" in message
    refuse_metric_reporters(WorkerConfig({**props, "metric.reporters": ""}))  # empty: Kafka's default, accepted
