"""topic.creation.* (KIP-158) against the real broker: a FileStream source creates its topic with the
default group's partitions, a group's include regex and topic configs apply to the topics it matches,
an existing topic is left alone, and bad settings are refused with 400 naming the key.

The test broker auto-creates a topic with 4 partitions on the first record to it (the sibling test
without topic.creation.* shows it), so a topic with 3 partitions was created by the worker."""

from __future__ import annotations

import time
from pathlib import Path

from confluent_kafka.admin import ConfigResource, ResourceType


def source_config(source: Path, topic: str, **extra: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(source), "topic": topic, **extra}


def wait_for_records(broker, topic: str, count: int) -> list:
    # Asking for one topic's metadata would have the broker auto-create it (racing the task's own
    # creation): wait for it in the full listing first, which creates nothing.
    deadline = time.monotonic() + 60
    while topic not in broker.topics():
        assert time.monotonic() < deadline, f"topic {topic} never appeared"
        time.sleep(0.1)
    return broker.consume(topic, count, timeout=60, partition=None)


def topic_config(broker, topic: str) -> dict[str, str]:
    resource = ConfigResource(ResourceType.TOPIC, topic)
    [future] = broker.admin.describe_configs([resource]).values()
    return {name: entry.value for name, entry in future.result(30).items()}


def test_without_topic_creation_the_broker_auto_creates_the_topic(worker, broker, tmp_path, topic_name):
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n")
    response = worker.put("/connectors/plain/config", json=source_config(source, topic_name))
    assert response.status_code == 201, response.text
    assert len(wait_for_records(broker, topic_name, 2)) == 2
    assert broker.topics()[topic_name] == 4


def test_default_group_creates_the_topic_with_its_partitions(worker, broker, tmp_path, topic_name):
    source = tmp_path / "in.txt"
    source.write_text("a\nb\nc\n")
    response = worker.put("/connectors/created/config", json=source_config(
        source, topic_name, **{"topic.creation.default.replication.factor": "-1",
                               "topic.creation.default.partitions": "3",
                               "topic.creation.default.retention.ms": "3600000"}))
    assert response.status_code == 201, response.text
    assert len(wait_for_records(broker, topic_name, 3)) == 3
    assert broker.topics()[topic_name] == 3
    assert topic_config(broker, topic_name).get("retention.ms") == "3600000"


def test_a_group_with_an_include_regex_creates_a_compacted_topic(worker, broker, tmp_path, topic_name):
    compacted, other = f"{topic_name}-compacted", f"{topic_name}-plain"
    props = {"topic.creation.default.replication.factor": "-1", "topic.creation.default.partitions": "3",
             "topic.creation.groups": "compacted",
             "topic.creation.compacted.include": f"{topic_name}-comp.*, nothing-else",
             "topic.creation.compacted.partitions": "2",
             "topic.creation.compacted.cleanup.policy": "compact"}
    source, second = tmp_path / "in.txt", tmp_path / "in2.txt"
    source.write_text("k\n")
    second.write_text("k\n")
    for name, topic, path in (("compacting", compacted, source), ("not-compacting", other, second)):
        response = worker.put(f"/connectors/{name}/config", json=source_config(path, topic, **props))
        assert response.status_code == 201, response.text
    wait_for_records(broker, compacted, 1)
    wait_for_records(broker, other, 1)
    topics = broker.topics()
    assert (topics[compacted], topics[other]) == (2, 3)
    assert topic_config(broker, compacted)["cleanup.policy"] == "compact"
    assert topic_config(broker, other).get("cleanup.policy", "delete") == "delete"


def test_an_existing_topic_is_left_as_it_is(worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("a\n")
    response = worker.put("/connectors/existing/config", json=source_config(
        source, topic_name, **{"topic.creation.default.replication.factor": "-1",
                               "topic.creation.default.partitions": "3"}))
    assert response.status_code == 201, response.text
    assert len(wait_for_records(broker, topic_name, 1)) == 1
    assert broker.topics()[topic_name] == 1
    assert worker.wait_for_state("existing")["tasks"][0]["state"] == "RUNNING"


def test_bad_topic_creation_settings_are_refused_naming_the_key(worker, tmp_path, topic_name):
    base = source_config(tmp_path / "in.txt", topic_name)
    cases = {
        "topic.creation.default.partitions": ({"topic.creation.default.replication.factor": "1",
                                               "topic.creation.default.partitions": "0"},
                                              "Number of partitions must be positive, or -1"),
        "topic.creation.default.replication.factor": ({"topic.creation.default.partitions": "3"},
                                                      'Missing required configuration '
                                                      '"topic.creation.default.replication.factor"'),
        "topic.creation.g.include": ({"topic.creation.default.replication.factor": "1",
                                      "topic.creation.default.partitions": "3", "topic.creation.groups": "g",
                                      "topic.creation.g.include": "(unclosed"},
                                     "Syntax error in regular expression"),
    }
    for key, (extra, message) in cases.items():
        response = worker.put("/connectors/bad/config", json={**base, **extra})
        assert response.status_code == 400, response.text
        assert key in response.json()["message"] and message in response.json()["message"], response.text
        response = worker.put("/connector-plugins/FileStreamSource/config/validate", json={**base, **extra})
        errors = {c["value"]["name"]: c["value"]["errors"] for c in response.json()["configs"]
                  if c["value"]["errors"]}
        assert message in " ".join(errors[key]), errors
    assert worker.get("/connectors").json() == []


def test_a_worker_without_topic_creation_refuses_the_keys(start_worker, tmp_path, topic_name):
    worker = start_worker(**{"topic.creation.enable": "false"})
    response = worker.put("/connectors/refused/config", json=source_config(
        tmp_path / "in.txt", topic_name, **{"topic.creation.default.replication.factor": "-1",
                                            "topic.creation.default.partitions": "3"}))
    assert response.status_code == 400, response.text
    assert "topic.creation.enable=false" in response.json()["message"]
    # Without the keys the same connector is fine.
    response = worker.put("/connectors/refused/config", json=source_config(tmp_path / "in.txt", topic_name))
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + 30
    while worker.get("/connectors/refused/status").json()["connector"]["state"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_jdbc_source_json_ready_rows_create_their_topics_per_group(postgres, worker, broker, topic_name):
    """The JDBC source's pre-encoded rows (the JSON-ready path) create their topics too, per table."""
    from .jdbc_helpers import Db

    db = Db("postgresql", postgres)
    for table in ("orders", "items"):
        db.execute(f"CREATE TABLE {table} ({db.serial}, name VARCHAR(40) NOT NULL)")
        db.execute(f"INSERT INTO {table} (name) VALUES ('a'), ('b')")
    config = db.config(mode="incrementing", **{
        "incrementing.column.name": "id", "table.whitelist": "orders,items", "topic.prefix": f"{topic_name}-",
        "topic.creation.default.replication.factor": "-1", "topic.creation.default.partitions": "3",
        "topic.creation.groups": "ord", "topic.creation.ord.include": ".*-orders",
        "topic.creation.ord.partitions": "2", "topic.creation.ord.cleanup.policy": "compact"})
    response = worker.put("/connectors/jdbc-created/config", json=config)
    assert response.status_code == 201, response.text
    assert len(wait_for_records(broker, f"{topic_name}-orders", 2)) == 2
    assert len(wait_for_records(broker, f"{topic_name}-items", 2)) == 2
    topics = broker.topics()
    assert (topics[f"{topic_name}-orders"], topics[f"{topic_name}-items"]) == (2, 3)
    assert topic_config(broker, f"{topic_name}-orders")["cleanup.policy"] == "compact"
