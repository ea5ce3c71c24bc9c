"""docs/metrics.md's tables against a real worker's GET /metrics, both ways: every documented family
is rendered with its documented labels and type, and every rendered ``kafka_connect_*``/``dbconnect_*``
family is documented. Plus the exposition rules Prometheus holds a scrape to (HELP/TYPE once, no
duplicate series, counters ending in _total, escaped label values)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.jdbc_helpers import Db
from tests.integration.test_distributed import cluster, file_sink, file_source  # noqa: F401 (cluster: a fixture)
from tests.integration.test_jdbc_sink_worker import sink_config
from tests.integration.test_metrics import scrape, value, wait_for_value

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
PREFIXES = ("kafka_connect_", "dbconnect_")


def expand(name: str) -> list[str]:
    """``a_{b,c}_d_{e,f}`` → the four names."""
    parts = re.split(r"\{([^}]*)\}", name)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def documented() -> dict[str, dict]:
    """``{name: {"labels": set, "type": str, "section": str}}`` from every table of docs/metrics.md
    whose first column is ``name``."""
    names: dict[str, dict] = {}
    section, header = "", None
    for line in DOC.read_text().splitlines():
        if line.startswith("#"):
            section, header = line.lstrip("# ").strip(), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(line) <= set("|-: ") or header[0] != "name":
            continue
        row = dict(zip(header, cells))
        labels = set() if row["labels"] in ("—", "-", "") else {x.strip() for x in row["labels"].split(",")}
        kind = row["type"].split()[0]
        for name in expand(row["name"].strip("`")):
            assert name not in names, f"{name} documented twice"
            names[name] = {"labels": labels, "type": kind, "section": section}
    return names


def test_the_documented_tables_parse():
    names = documented()
    assert expand("a_{b,c}_d_{e,f}") == ["a_b_d_e", "a_b_d_f", "a_c_d_e", "a_c_d_f"]
    assert names["kafka_connect_connect_worker_metrics_connector_failed_task_count"] == {
        "labels": {"connector"}, "type": "gauge", "section": "Worker (`connect-worker-metrics`, `connector-metrics`)"}
    assert names["dbconnect_jdbc_sink_write_seconds"]["type"] == "histogram"
    assert len(names) > 60


def rendered(text: str) -> dict[str, dict]:
    """``{documented-style name: {"type", "labels": set of label sets}}`` of a scrape; a counter's
    name gets its ``_total`` back (the parser's family name drops it)."""
    families = {}
    for family in text_string_to_metric_families(text):
        name = family.name + "_total" if family.type == "counter" else family.name
        labels = {frozenset(k for k in s.labels if k != "le") for s in family.samples}
        families[name] = {"type": family.type, "labels": labels, "samples": len(family.samples)}
    return families


def check_exposition(text: str) -> None:
    """What Prometheus refuses or silently mangles in a scrape."""
    helps = Counter(line.split()[2] for line in text.splitlines() if line.startswith("# HELP "))
    types = Counter(line.split()[2] for line in text.splitlines() if line.startswith("# TYPE "))
    assert [n for n, c in helps.items() if c > 1] == [] and [n for n, c in types.items() if c > 1] == []
    assert set(helps) == set(types)
    series = [s for family in text_string_to_metric_families(text) for s in family.samples]
    keys = Counter((s.name, tuple(sorted(s.labels.items()))) for s in series)
    assert [k for k, c in keys.items() if c > 1] == []
    for family in text_string_to_metric_families(text):
        if family.type == "counter":
            assert all(s.name == family.name + "_total" for s in family.samples), family


def test_every_documented_metric_is_rendered_and_every_rendered_one_documented(postgres, start_worker, broker,
                                                                              topic_name):
    db = Db("postgresql", postgres)
    db.execute(f"CREATE TABLE events ({db.serial}, name VARCHAR(20), updated_at {db.ts_type} NOT NULL)")
    newest = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(minutes=10)
    for i in range(3):
        db.execute("INSERT INTO events (name, updated_at) VALUES (%s, %s)", (f"n{i}", newest - dt.timedelta(seconds=i)))
    worker = start_worker()  # task.isolation=process, the default
    events_topic, bad_topic, dlq = f"{topic_name}-events", f"{topic_name}-bad", f"{topic_name}-dlq"
    # The user's order: the sink before its topic exists, then the source that creates it.
    assert worker.put("/connectors/copy-sink/config", json=sink_config(
        db, events_topic, **{"table.name.format": "events_copy"})).status_code == 201
    source = db.config(mode="timestamp+incrementing", **{
        "timestamp.column.name": "updated_at", "incrementing.column.name": "id", "topic.prefix": f"{topic_name}-"})
    assert worker.put("/connectors/events-source/config", json=source).status_code == 201
    # A sink that tolerates errors, fed one record its converter cannot read: it goes to the DLQ.
    broker.create_topic(bad_topic, partitions=1)
    broker.produce(bad_topic, [b"this is not JSON"])
    assert worker.put("/connectors/dlq-sink/config", json=sink_config(db, bad_topic, **{
        "table.name.format": "bad_copy", "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1"})).status_code == 201

    src = {"connector": "events-source", "task": "0"}
    wait_for_value(worker, "dbconnect_jdbc_source_rows_read_total", 3, table=f"{db.fqn_prefix}events", **src)
    wait_for_value(worker, "dbconnect_jdbc_sink_rows_written_total", 3, connector="copy-sink", task="0",
                   table="events_copy", kind="insert")
    wait_for_value(worker, "kafka_connect_task_error_metrics_deadletterqueue_produce_requests", 1,
                   connector="dlq-sink", task="0")
    samples = wait_for_value(worker, "kafka_connect_sink_task_metrics_offset_commit_completion_total", 1,
                             connector="copy-sink", task="0")
    assert value(samples, "kafka_connect_task_error_metrics_total_record_errors", connector="dlq-sink", task="0") == 1
    assert value(samples, "kafka_connect_task_error_metrics_last_error_timestamp", connector="dlq-sink", task="0") > 0
    # Kafka's connector-total-task-count and offset-commit-completion-rate (missing before).
    assert value(samples, "kafka_connect_connect_worker_metrics_connector_total_task_count", connector="copy-sink") == 1
    assert value(samples, "kafka_connect_sink_task_metrics_offset_commit_completion_rate",
                 connector="copy-sink", task="0") > 0
    assert value(samples, "kafka_connect_sink_task_metrics_offset_commit_skip_rate", connector="copy-sink", task="0") == 0

    response = worker.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"] == CONTENT_TYPE_LATEST
    check_exposition(response.text)
    docs, got = documented(), rendered(response.text)
    ours = {name: f for name, f in got.items() if name.startswith(PREFIXES)}
    # Standalone: no rebalance series, as in Kafka (docs: distributed mode only).
    expected = {n: d for n, d in docs.items() if not d["section"].startswith("Rebalances")}
    assert not any(n in ours for n in set(docs) - set(expected))
    assert sorted(set(expected) - set(ours)) == [], "documented but not rendered"
    assert sorted(set(ours) - set(expected)) == [], "rendered but not documented"
    for name, doc in expected.items():
        family = ours[name]
        assert family["samples"] > 0, f"{name}: no series"
        assert family["type"] == doc["type"], (name, family["type"], doc["type"])
        assert family["labels"] == {frozenset(doc["labels"])}, (name, family["labels"], doc["labels"])


def test_a_distributed_worker_renders_the_documented_families_rebalances_included(cluster, tmp_path, topic_name):
    [worker] = cluster(1)
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n")
    assert worker.write("PUT", "/connectors/file-sink/config",
                        json=file_sink(tmp_path / "out.txt", topic_name, 1)).status_code == 201
    assert worker.write("PUT", "/connectors/file-source/config", json=file_source(source, topic_name)).status_code == 201
    deadline = time.monotonic() + 120
    while True:
        response = worker.get("/metrics")
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(response.text) for s in f.samples}
        if value(samples, "kafka_connect_sink_task_metrics_sink_record_send_total", connector="file-sink", task="0") == 2:
            break
        assert time.monotonic() < deadline, response.text[-2000:]
        time.sleep(0.5)
    check_exposition(response.text)
    assert value(samples, "kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total") >= 1
    docs, got = documented(), rendered(response.text)
    ours = {name: f for name, f in got.items() if name.startswith(PREFIXES)}
    # The JDBC connectors' own families need JDBC connectors (the test above); all others are here.
    expected = {n: d for n, d in docs.items() if not n.startswith("dbconnect_")}
    assert sorted(set(expected) - set(ours)) == [], "documented but not rendered"
    assert sorted(set(ours) - set(expected)) == [], "rendered but not documented"
    for name, doc in expected.items():
        assert ours[name]["samples"] > 0, f"{name}: no series"
        assert ours[name]["type"] == doc["type"], (name, ours[name]["type"], doc["type"])
        assert ours[name]["labels"] == {frozenset(doc["labels"])}, (name, ours[name]["labels"], doc["labels"])


# Characters Kafka allows in a connector name (our REST refuses '/' and, as Kafka does, control
# characters), with the two that Prometheus' text format escapes in a label value: '"' and '\'.
ODD_NAMES = ['a "quoted" name', "back\\slash", "dots.and spaces", "ünïcødé-名前"]


def test_connector_names_with_quotes_backslashes_and_unicode_render_escaped(start_worker, tmp_path, topic_name):
    from tests.integration.test_file_pipeline import source_config

    worker = start_worker(**{"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"})
    source = tmp_path / "in.txt"
    source.write_text("x\ny\n")
    for i, name in enumerate(ODD_NAMES):
        config = {**source_config(source, f"{topic_name}-{i}"), "name": name}
        response = worker.post("/connectors", json={"name": name, "config": config})
        assert response.status_code == 201, response.text
    refused = worker.post("/connectors", json={"name": "new\nline", "config": {
        **source_config(source, topic_name), "name": "new\nline"}})
    assert refused.status_code == 400 and "control sequences" in refused.json()["message"]
    for name in ODD_NAMES:
        wait_for_value(worker, "kafka_connect_source_task_metrics_source_record_write_total", 2, connector=name, task="0")
    response = worker.get("/metrics")
    check_exposition(response.text)
    assert '{connector="a \\"quoted\\" name",task="0"}' in response.text
    assert '{connector="back\\\\slash",task="0"}' in response.text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(response.text) for s in f.samples}
    for name in ODD_NAMES:
        assert value(samples, "kafka_connect_connector_metrics_status", connector=name, status="running") == 1
        assert value(samples, "kafka_connect_connect_worker_metrics_connector_total_task_count", connector=name) == 1
    summary = worker.get("/metrics/summary").json()["connectors"]
    assert all(summary[name]["records_out_total"] == 2 for name in ODD_NAMES)


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_a_failed_task_shows_as_failed_in_the_metrics_until_it_is_removed(start_worker, broker, tmp_path, topic_name,
                                                                          isolation):
    """What an operator's alert looks for (Kafka keeps a failed task's metric group until it is
    restarted or removed): status="failed" on the task, the connector's failed task count."""
    from tests.integration.test_file_pipeline import sink_config as file_sink_config

    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [b"not JSON"])  # JsonConverter cannot read it; errors.tolerance=none
    worker = start_worker(**{"task.isolation": isolation})
    assert worker.put("/connectors/local-file-sink/config",
                      json=file_sink_config(tmp_path / "out.txt", topic_name)).status_code == 201
    worker.wait_for_task_state("local-file-sink", 0, "FAILED", timeout=60)
    task = {"connector": "local-file-sink", "task": "0"}
    samples = wait_for_value(worker, "kafka_connect_connector_task_metrics_status", 1, status="failed", **task)
    assert value(samples, "kafka_connect_connect_worker_metrics_connector_failed_task_count",
                 connector="local-file-sink") == 1
    assert value(samples, "kafka_connect_connector_task_metrics_status", status="running", **task) is None
    # The task's last figures arrive with its exit, just after its FAILED status.
    samples = wait_for_value(worker, "kafka_connect_task_error_metrics_total_record_errors", 1, **task)
    assert value(samples, "kafka_connect_connector_task_metrics_status", status="failed", **task) == 1
    assert value(samples, "kafka_connect_task_error_metrics_last_error_timestamp", **task) > 0
    assert worker.delete("/connectors/local-file-sink").status_code == 204
    deadline = time.monotonic() + 30
    while any(dict(labels).get("connector") == "local-file-sink" for _, labels in scrape(worker)):
        assert time.monotonic() < deadline, "the deleted connector's series stayed"
        time.sleep(0.2)
