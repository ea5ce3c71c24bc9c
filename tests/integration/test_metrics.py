"""GET /metrics on real workers: Kafka Connect's families with their labels, counters that move by
exactly the records a pipeline moved (across the task-process boundary), JDBC replication lag,
and REST authentication."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest
import requests
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.jdbc_helpers import Db, wait_until
from tests.integration.test_file_pipeline import sink_config, source_config, wait_for_lines

SRC = {"connector": "local-file-source", "task": "0"}
SNK = {"connector": "local-file-sink", "task": "0"}


def scrape(worker) -> dict[tuple[str, tuple], float]:
    response = worker.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def wait_for_value(worker, name: str, expected: float, timeout: float = 45.0, **labels: str) -> dict:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        samples = scrape(worker)
        seen = value(samples, name, **labels)
        if seen is not None and seen >= expected:
            return samples
        time.sleep(0.2)
    raise AssertionError(f"{name}{labels} did not reach {expected}: {seen}")


def wait_for_exact(worker, name: str, expected: float, timeout: float = 45.0, **labels: str) -> dict:
    """The scrape in which ``name`` equals ``expected`` (a figure that must come down, too)."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        samples = scrape(worker)
        seen = value(samples, name, **labels)
        if seen == expected:
            return samples
        time.sleep(0.2)
    raise AssertionError(f"{name}{labels} never was {expected}: {seen}")


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_file_pipeline_counts_exactly_the_records_it_moved(start_worker, broker, tmp_path, topic_name, isolation):
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("".join(f"line-{i}\n" for i in range(5)))
    worker = start_worker(**{"task.isolation": isolation, "key.converter.schemas.enable": "false",
                             "value.converter.schemas.enable": "false"})
    # The user's order: the sink first (its topic does not exist yet), then the source.
    assert worker.put("/connectors/local-file-sink/config", json=sink_config(sink, topic_name)).status_code == 201
    assert worker.put("/connectors/local-file-source/config", json=source_config(source, topic_name)).status_code == 201
    wait_for_lines(sink, 5)
    wait_for_value(worker, "kafka_connect_sink_task_metrics_sink_record_send_total", 5, **SNK)
    # A marker: a record counted twice (or a sixth one) would show by the time the marker is counted.
    with source.open("a") as fh:
        fh.write("marker\n")
    assert wait_for_lines(sink, 6)[-1] == "marker"
    samples = wait_for_value(worker, "kafka_connect_sink_task_metrics_sink_record_send_total", 6, **SNK)
    samples = wait_for_value(worker, "kafka_connect_source_task_metrics_source_record_write_total", 6, **SRC) \
        if value(samples, "kafka_connect_source_task_metrics_source_record_write_total", **SRC) != 6 else samples
    assert value(samples, "kafka_connect_source_task_metrics_source_record_poll_total", **SRC) == 6
    assert value(samples, "kafka_connect_source_task_metrics_source_record_write_total", **SRC) == 6
    assert value(samples, "kafka_connect_sink_task_metrics_sink_record_read_total", **SNK) == 6
    assert value(samples, "kafka_connect_sink_task_metrics_sink_record_send_total", **SNK) == 6
    # Every family with its labels.
    assert value(samples, "kafka_connect_connect_worker_metrics_connector_count") == 2
    assert value(samples, "kafka_connect_connect_worker_metrics_task_count") == 2
    assert value(samples, "kafka_connect_connect_worker_metrics_task_startup_success_total") == 2
    assert value(samples, "kafka_connect_connect_worker_metrics_connector_startup_attempts_total") == 2
    assert value(samples, "kafka_connect_connect_worker_metrics_connector_running_task_count",
                 connector="local-file-sink") == 1
    assert value(samples, "kafka_connect_connector_metrics_status", connector="local-file-source", status="running") == 1
    for labels in (SRC, SNK):
        assert value(samples, "kafka_connect_connector_task_metrics_status", **labels, status="running") == 1
        assert value(samples, "kafka_connect_connector_task_metrics_batch_size_max", **labels) >= 1
        assert 0 < value(samples, "kafka_connect_connector_task_metrics_running_ratio", **labels) <= 1
        assert value(samples, "kafka_connect_connector_task_metrics_pause_ratio", **labels) == 0
        assert value(samples, "kafka_connect_task_error_metrics_total_record_errors", **labels) == 0
        assert value(samples, "kafka_connect_task_error_metrics_deadletterqueue_produce_requests", **labels) == 0
    assert value(samples, "kafka_connect_source_task_metrics_poll_batch_max_time_ms", **SRC) >= 0
    assert value(samples, "kafka_connect_sink_task_metrics_put_batch_max_time_ms", **SNK) >= 0
    assert value(samples, "kafka_connect_sink_task_metrics_partition_count", **SNK) >= 1
    # The source's offsets were committed (offset.flush.interval.ms=500) and counted.
    wait_for_value(worker, "kafka_connect_connector_task_metrics_offset_commit_success_percentage", 1.0, **SRC)
    # Everything delivered and committed: no record is active any more (a sink's count falls at
    # its next commit), and each connector's class, type and version are labels of one series.
    wait_for_exact(worker, "kafka_connect_source_task_metrics_source_record_active_count", 0, **SRC)
    samples = wait_for_exact(worker, "kafka_connect_sink_task_metrics_sink_record_active_count", 0, **SNK)
    assert value(samples, "kafka_connect_source_task_metrics_source_record_active_count_max", **SRC) >= 1
    assert value(samples, "kafka_connect_sink_task_metrics_sink_record_active_count_max", **SNK) >= 1
    for connector, kind in (("local-file-source", "source"), ("local-file-sink", "sink")):
        [(labels, one)] = [(dict(labels), v) for (name, labels), v in samples.items()
                           if name == "kafka_connect_connector_metrics_info" and ("connector", connector) in labels]
        assert one == 1 and labels["connector_type"] == kind
        assert labels["connector_class"] == f"org.apache.kafka.connect.file.FileStream{kind.title()}Connector"
        assert labels["connector_version"], labels
    # The JSON summary for the status page: the same figures per connector.
    summary = worker.get("/metrics/summary").json()
    assert summary["connectors"]["local-file-sink"]["records_out_total"] == 6
    assert summary["connectors"]["local-file-sink"]["type"] == "sink"
    assert summary["connectors"]["local-file-source"]["tasks"]["0"]["records_in_total"] == 6
    # A deleted connector's task series are gone.
    assert worker.delete("/connectors/local-file-source").status_code == 204
    wait_until(lambda: value(scrape(worker), "kafka_connect_source_task_metrics_source_record_poll_total", **SRC) is None,
               what="the deleted connector's series to go")


def _events(db: Db) -> None:
    db.execute(f"CREATE TABLE events ({db.serial}, name VARCHAR(20), updated_at {db.ts_type} NOT NULL)")


def test_jdbc_source_timestamp_mode_rows_offsets_and_replication_lag(postgres, start_worker, broker, topic_name):
    db = Db("postgresql", postgres)
    _events(db)
    # The newest timestamp is the test's: an hour ago.
    newest = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(hours=1)
    for i, name in enumerate(("a", "b", "c")):
        db.execute("INSERT INTO events (name, updated_at) VALUES (%s, %s)", (name, newest - dt.timedelta(minutes=2 - i)))
    worker = start_worker()
    config = db.config(mode="timestamp", **{"timestamp.column.name": "updated_at", "topic.prefix": f"{topic_name}-"})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    table = {"connector": "src", "task": "0", "table": f"{db.fqn_prefix}events"}
    samples = wait_for_value(worker, "dbconnect_jdbc_source_rows_read_total", 3, **table)
    newest_epoch = newest.replace(tzinfo=dt.timezone.utc).timestamp()
    assert value(samples, "dbconnect_jdbc_source_offset_timestamp_seconds", **table) == newest_epoch
    lag = value(samples, "dbconnect_jdbc_source_replication_lag_seconds", **table)
    assert 3600 <= lag < 3600 + 120, lag
    # A newer row (a minute ago) moves the offset and shrinks the lag; the count moves by exactly one.
    newer = newest + dt.timedelta(minutes=59)
    db.execute("INSERT INTO events (name, updated_at) VALUES ('d', %s)", (newer,))
    samples = wait_for_value(worker, "dbconnect_jdbc_source_rows_read_total", 4, **table)
    assert value(samples, "dbconnect_jdbc_source_rows_read_total", **table) == 4
    assert value(samples, "dbconnect_jdbc_source_offset_timestamp_seconds", **table) == newer.replace(
        tzinfo=dt.timezone.utc).timestamp()
    assert 60 <= value(samples, "dbconnect_jdbc_source_replication_lag_seconds", **table) < 180
    assert value(samples, "kafka_connect_source_task_metrics_source_record_write_total", connector="src", task="0") == 4
    summary = worker.get("/metrics/summary").json()["connectors"]["src"]
    assert 60 <= summary["lag_seconds"] < 180


def test_metrics_need_credentials_when_rest_auth_is_on(start_worker, tmp_path):
    path = tmp_path / "rest-credentials.properties"
    subprocess.run([sys.executable, "-m", "dbconnect.cli", "passwd", str(path), "admin", "--rounds", "6"],
                   input="pw\n", text=True, check=True, capture_output=True)
    worker = start_worker(credentials=("admin", "pw"), **{"rest.basic.auth.credentials.file": str(path),
                                                          "metrics.listener": "http://127.0.0.1:0"})
    metrics_url = worker.connect.metrics_rest.url
    assert metrics_url != worker.url
    for base in (worker.url, metrics_url):
        for route in ("/metrics", "/metrics/summary"):
            anonymous = requests.get(base + route, timeout=10)
            assert anonymous.status_code == 401, base + route
            assert anonymous.json() == {"error_code": 401, "message": "User cannot access the resource."}
            answer = requests.get(base + route, auth=("admin", "pw"), timeout=10)
            assert answer.status_code == 200, base + route
        assert "kafka_connect_connect_worker_metrics_connector_count 0.0" in \
            requests.get(base + "/metrics", auth=("admin", "pw"), timeout=10).text
    # The metrics listener serves the metrics only.
    assert requests.get(metrics_url + "/connectors", auth=("admin", "pw"), timeout=10).status_code == 404


def test_jdbc_sink_rows_written_by_kind_and_write_latency(postgres, worker, broker, topic_name):
    from tests.integration.test_jdbc_sink_worker import envelope, key_envelope, sink_config

    db = Db("postgresql", postgres)
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [envelope(i) for i in range(20)], keys=[key_envelope(i) for i in range(20)])
    config = sink_config(db, topic_name, **{"insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
                                            "delete.enabled": "true"})
    name = f"sink-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    table = {"connector": name, "task": "0", "table": "orders"}  # the table as table.name.format names it
    wait_for_value(worker, "dbconnect_jdbc_sink_rows_written_total", 20, kind="upsert", **table)
    # Two tombstones (deletes) and one update, then a marker row: the counts must be exact after it.
    broker.produce(topic_name, [None, None, envelope(3, "upd"), envelope(99)],
                   keys=[key_envelope(1), key_envelope(2), key_envelope(3), key_envelope(99)])
    samples = wait_for_value(worker, "dbconnect_jdbc_sink_rows_written_total", 22, kind="upsert", **table)
    wait_until(lambda: db.execute("SELECT count(*) FROM orders WHERE id = 99")[0][0] == 1, what="the marker row")
    samples = wait_for_value(worker, "dbconnect_jdbc_sink_rows_written_total", 2, kind="delete", **table)
    assert value(samples, "dbconnect_jdbc_sink_rows_written_total", kind="upsert", **table) == 22
    assert value(samples, "dbconnect_jdbc_sink_rows_written_total", kind="delete", **table) == 2
    task = {"connector": name, "task": "0"}
    transactions = value(samples, "dbconnect_jdbc_sink_write_seconds_count", **task)
    assert transactions >= 2
    assert value(samples, "dbconnect_jdbc_sink_write_seconds_bucket", le="+Inf", **task) == transactions
    assert value(samples, "kafka_connect_sink_task_metrics_sink_record_send_total", **task) == 24


SINK = {"connector": "gated", "task": "0"}


def test_a_sink_holding_a_batch_has_active_records_until_it_commits(start_worker, broker, tmp_path, topic_name):
    """Records read but not committed (Kafka's sink-record-active-count), across the task process."""
    gate = tmp_path / "gate"
    worker = start_worker()
    config = {"connector.class": "tests.integration.metrics_plugins.GatedSinkConnector", "tasks.max": "1",
              "topics": topic_name, "gate.file": str(gate),
              "key.converter": "org.apache.kafka.connect.storage.StringConverter",
              "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    # Five records already in one partition of an auto-created topic: the task's first poll takes them all.
    broker.produce(topic_name, [f"v{i}".encode() for i in range(5)])
    assert worker.put("/connectors/gated/config", json=config).status_code == 201
    try:
        samples = wait_for_value(worker, "kafka_connect_sink_task_metrics_sink_record_active_count", 5, **SINK)
        assert value(samples, "kafka_connect_sink_task_metrics_sink_record_active_count", **SINK) == 5
        assert value(samples, "kafka_connect_sink_task_metrics_sink_record_read_total", **SINK) == 5
        assert value(samples, "kafka_connect_sink_task_metrics_sink_record_send_total", **SINK) == 0  # put() holds them
        assert value(samples, "kafka_connect_sink_task_metrics_offset_commit_completion_total", **SINK) == 0
        assert value(samples, "kafka_connect_sink_task_metrics_offset_commit_seq_no", **SINK) == 0
    finally:
        gate.touch()  # the database answers: put() returns, the next commit takes the records out
    samples = wait_for_exact(worker, "kafka_connect_sink_task_metrics_sink_record_active_count", 0, **SINK)
    assert value(samples, "kafka_connect_sink_task_metrics_offset_commit_completion_total", **SINK) >= 1
    assert value(samples, "kafka_connect_sink_task_metrics_offset_commit_seq_no", **SINK) >= value(
        samples, "kafka_connect_sink_task_metrics_offset_commit_completion_total", **SINK)
    assert value(samples, "kafka_connect_sink_task_metrics_sink_record_send_total", **SINK) == 5
    assert value(samples, "kafka_connect_sink_task_metrics_sink_record_active_count_max", **SINK) == 5
    assert 0 < value(samples, "kafka_connect_sink_task_metrics_sink_record_active_count_avg", **SINK) <= 5
    info = {dict(labels)["connector_class"]: dict(labels) for (name, labels), v in samples.items()
            if name == "kafka_connect_connector_metrics_info" and v == 1}
    assert info == {"tests.integration.metrics_plugins.GatedSinkConnector": {
        "connector": "gated", "connector_class": "tests.integration.metrics_plugins.GatedSinkConnector",
        "connector_type": "sink", "connector_version": "2.5"}}


def test_source_records_stay_active_until_the_broker_acknowledges_them(start_worker, broker, tmp_path, topic_name):
    """Polled but not yet acknowledged (Kafka's source-record-active-count): the producer holds
    a batch until it has 5 messages (linger.ms far longer than the test), so 3 lines stay in
    flight until 2 more fill the batch."""
    broker.create_topic(topic_name, partitions=1)  # one partition: the 5 messages make one batch
    source = tmp_path / "in.txt"
    source.write_text("a\nb\nc\n")
    worker = start_worker(**{"producer.linger.ms": "120000", "producer.batch.num.messages": "5",
                             "key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"})
    assert worker.put("/connectors/local-file-source/config",
                      json=source_config(source, topic_name)).status_code == 201
    samples = wait_for_value(worker, "kafka_connect_source_task_metrics_source_record_active_count", 3, **SRC)
    assert value(samples, "kafka_connect_source_task_metrics_source_record_active_count", **SRC) == 3
    assert value(samples, "kafka_connect_source_task_metrics_source_record_poll_total", **SRC) == 3
    # Nothing was acknowledged, so no offset was committed either (offset.flush.interval.ms=500).
    assert worker.get("/connectors/local-file-source/offsets").json()["offsets"] == []
    with source.open("a") as fh:
        fh.write("d\ne\n")
    samples = wait_for_exact(worker, "kafka_connect_source_task_metrics_source_record_active_count", 0, **SRC)
    assert value(samples, "kafka_connect_source_task_metrics_source_record_poll_total", **SRC) == 5
    assert value(samples, "kafka_connect_source_task_metrics_source_record_active_count_max", **SRC) >= 3
    assert value(samples, "kafka_connect_source_task_metrics_source_record_active_count_avg", **SRC) > 0


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_max_and_avg_follow_the_worker_sample_window(start_worker, broker, tmp_path, topic_name, isolation):
    """metrics.sample.window.ms=1000 × metrics.num.samples=2, reaching the task process: a big poll
    shows in batch-size-max, then, with only one-line polls after it, leaves the figure within
    seconds (with Kafka's defaults, 2 × 30 s, it would stay for a minute)."""
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("".join(f"line-{i}\n" for i in range(300)))  # one poll reads them all
    worker = start_worker(**{"metrics.sample.window.ms": "1000", "metrics.num.samples": "2", "task.isolation": isolation,
                             "key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"})
    assert worker.put("/connectors/local-file-sink/config", json=sink_config(sink, topic_name)).status_code == 201
    assert worker.put("/connectors/local-file-source/config", json=source_config(source, topic_name)).status_code == 201
    samples = wait_for_value(worker, "kafka_connect_connector_task_metrics_batch_size_max", 300, **SRC)
    assert value(samples, "kafka_connect_connector_task_metrics_batch_size_max", **SRC) == 300
    wait_for_lines(sink, 300)
    # One line at a time, each waited for in the sink file (so every later poll returns one record),
    # until the big poll has left the window: the figure itself is what is waited for.
    deadline = time.monotonic() + 30.0
    small = 0
    while True:
        with source.open("a") as fh:
            fh.write(f"small-{small}\n")
        small += 1
        wait_for_lines(sink, 300 + small)
        samples = scrape(worker)
        seen = value(samples, "kafka_connect_connector_task_metrics_batch_size_max", **SRC)
        if seen == 1:
            break
        assert time.monotonic() < deadline, f"batch-size-max is still {seen} after {small} one-line polls"
    assert value(samples, "kafka_connect_connector_task_metrics_batch_size_avg", **SRC) == 1
    # -total counters stay since the task started.
    wait_for_value(worker, "kafka_connect_source_task_metrics_source_record_poll_total", 300 + small, **SRC)
