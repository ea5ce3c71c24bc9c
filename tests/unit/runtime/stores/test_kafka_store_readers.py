"""The Kafka-backed stores' reading rules, fed records directly (no broker: pure logic).

The rules are Kafka Connect's (KafkaConfigBackingStore / KafkaStatusBackingStore): task configs wait
for their commit, a commit over an incomplete task set (compaction) leaves the connector without
tasks until a complete one, tombstones remove, malformed records are skipped, and a late UNASSIGNED
does not hide a RUNNING of the same or a newer generation.
"""

from __future__ import annotations

import json

import pytest

from dbconnect.api.errors import ConfigError, ConnectError
from dbconnect.runtime.stores.internal_topics import check_config_topic_partitions, ensure_internal_topic
from dbconnect.runtime.stores.kafka_based_log import LogRecord
from dbconnect.runtime.stores.kafka_configs import KafkaConfigBackingStore, target_state_value
from dbconnect.runtime.stores.kafka_status import KafkaStatusBackingStore, status_value
from dbconnect.runtime.stores.status import ConnectorTaskId, Status

CLIENT = {"bootstrap.servers": "127.0.0.1:1"}


class Feeder:
    def __init__(self, store) -> None:
        self.store = store
        self.offset = 0

    def __call__(self, key: str, value) -> None:
        raw = value if value is None or isinstance(value, bytes) else json.dumps(value).encode()
        self.store._read(LogRecord(key.encode(), raw, 0, self.offset, 0))
        self.offset += 1


@pytest.fixture
def configs():
    store = KafkaConfigBackingStore("connect-configs", CLIENT)
    return store, Feeder(store)


def test_tasks_wait_for_their_commit_and_offset_follows(configs):
    store, feed = configs
    assert store.offset == -1
    feed("connector-c", {"properties": {"connector.class": "X"}})
    feed("task-c-0", {"properties": {"t": "0"}})
    assert store.task_configs("c") == []
    feed("commit-c", {"tasks": 1})
    assert store.task_configs("c") == [{"t": "0"}]
    assert store.offset == 3 and store.snapshot().offset == 3


def test_incomplete_commit_after_compaction_leaves_no_tasks_until_a_complete_one(configs):
    store, feed = configs
    feed("connector-c", {"properties": {}})
    feed("task-c-1", {"properties": {"t": "1"}})  # task 0 compacted away
    feed("commit-c", {"tasks": 2})
    assert store.task_configs("c") == [] and store.snapshot().inconsistent == {"c"}
    assert store.snapshot().task_count("c") == 2
    feed("task-c-0", {"properties": {"t": "0"}})
    feed("task-c-1", {"properties": {"t": "1"}})
    feed("commit-c", {"tasks": 2})
    assert store.task_configs("c") == [{"t": "0"}, {"t": "1"}] and not store.snapshot().inconsistent


def test_task_names_with_dashes_and_fewer_tasks(configs):
    store, feed = configs
    feed("connector-my-src-1", {"properties": {}})
    for i in range(3):
        feed(f"task-my-src-1-{i}", {"properties": {"i": str(i)}})
    feed("commit-my-src-1", {"tasks": 3})
    feed("task-my-src-1-0", {"properties": {"i": "only"}})
    feed("commit-my-src-1", {"tasks": 1})
    assert store.task_configs("my-src-1") == [{"i": "only"}]


def test_connector_tombstone_drops_tasks_and_a_late_commit_is_ignored(configs):
    store, feed = configs
    feed("connector-c", {"properties": {}})
    feed("task-c-0", {"properties": {}})
    feed("commit-c", {"tasks": 1})
    feed("connector-c", None)
    feed("target-state-c", None)
    assert store.connectors() == [] and store.task_configs("c") == [] and store.target_state("c") is None
    feed("commit-c", {"tasks": 1})
    assert store.snapshot().task_count("c") == 0


def test_target_state_tombstone_of_a_live_connector_means_started_and_v1_records_are_read(configs):
    store, feed = configs
    feed("connector-c", {"properties": {}})
    feed("target-state-c", {"state": "PAUSED"})
    assert store.target_state("c") == "PAUSED"
    feed("target-state-c", None)
    assert store.target_state("c") == "STARTED"
    feed("target-state-c", {"state": "PAUSED", "state.v2": "STOPPED"})
    assert store.target_state("c") == "STOPPED"


def test_malformed_records_are_skipped(configs):
    store, feed = configs
    feed("connector-c", {"properties": {"a": "1"}})
    feed("connector-c", b"not json")
    feed("connector-c", {"props": {}})
    feed("task-c-x", {"properties": {}})
    feed("target-state-c", {"state": "RUNNING"})
    feed("commit-c", {"tasks": "two"})
    feed("session-key", {"key": "***", "algorithm": "HmacSHA256", "creation-timestamp": 1})
    feed("something-else", {})
    assert store.connector_config("c") == {"a": "1"} and store.target_state("c") == "STARTED"
    assert store.session_key() is None and store.offset == 8


def test_a_commit_of_a_lower_generation_is_ignored(configs):
    store, feed = configs
    feed("connector-c", {"properties": {}})
    feed("task-c-0", {"properties": {"g": "5"}})
    feed("commit-c", {"tasks": 1, "generation": 5})
    feed("task-c-0", {"properties": {"g": "4"}})
    feed("commit-c", {"tasks": 1, "generation": 4})
    assert store.task_configs("c") == [{"g": "5"}]
    feed("task-c-0", {"properties": {"g": "6"}})
    feed("commit-c", {"tasks": 1, "generation": 6})
    assert store.task_configs("c") == [{"g": "6"}]


def test_fencing_generation_survives_a_group_generation_reset(configs):
    store, feed = configs
    assert store.highest_commit_generation is None and store.fencing_generation(0) == 0
    feed("connector-c", {"properties": {}})
    feed("task-c-0", {"properties": {"g": "old cluster"}})
    feed("commit-c", {"tasks": 1, "generation": 57})
    # The group was deleted while the cluster was down: the new leader's group generation is 1.
    assert store.highest_commit_generation == 57
    stamp = store.fencing_generation(1)
    assert stamp == 58
    feed("task-c-0", {"properties": {"g": "new cluster"}})
    feed("commit-c", {"tasks": 1, "generation": stamp})
    assert store.task_configs("c") == [{"g": "new cluster"}]
    # Raw group generation 1 would have been ignored: the hazard fencing_generation avoids.
    feed("task-c-0", {"properties": {"g": "raw"}})
    feed("commit-c", {"tasks": 1, "generation": 1})
    assert store.task_configs("c") == [{"g": "new cluster"}]
    assert store.fencing_generation(100) == 100


def test_target_state_values():
    assert json.loads(target_state_value("STOPPED")) == {"state": "PAUSED", "state.v2": "STOPPED"}
    assert json.loads(target_state_value("STARTED")) == {"state": "STARTED", "state.v2": "STARTED"}
    with pytest.raises(ConnectError):
        target_state_value("RUNNING")


def test_status_values_and_unassigned_does_not_hide_running():
    store = KafkaStatusBackingStore("connect-status", CLIENT)
    feed = Feeder(store)
    assert status_value(Status("DESTROYED", "w")) is None
    feed("status-task-my-c-0", json.loads(status_value(Status("RUNNING", "w2:8083", generation=5))))
    feed("status-task-my-c-0", json.loads(status_value(Status("UNASSIGNED", "w1:8083", generation=5))))
    assert store.task(ConnectorTaskId("my-c", 0)).state == "RUNNING"
    feed("status-task-my-c-0", json.loads(status_value(Status("UNASSIGNED", "w1:8083", generation=6))))
    assert store.task(ConnectorTaskId("my-c", 0)).state == "UNASSIGNED"
    feed("status-task-my-c-0", b"{}")
    feed("status-connector-my-c", {"state": "RUNNING", "trace": None, "worker_id": "w1:8083", "generation": 6})
    assert store.connector("my-c") == Status("RUNNING", "w1:8083", generation=6)
    feed("status-connector-my-c", None)
    assert store.connector("my-c") is None


@pytest.mark.parametrize("partitions, replication, message", [
    (0, 1, "config.storage.partitions must be -1 (the broker's default) or at least 1, got 0"),
    (1, -3, "config.storage.replication.factor must be -1 (the broker's default) or at least 1, got -3"),
])
def test_internal_topic_settings_refused_before_any_connection(partitions, replication, message):
    with pytest.raises(ConfigError) as info:
        ensure_internal_topic(CLIENT, "connect-configs", "config.storage.topic", partitions, replication)
    assert str(info.value) == message


def test_config_topic_partition_check():
    check_config_topic_partitions("t", 1)
    with pytest.raises(ConfigError, match="but found 3 partitions"):
        check_config_topic_partitions("t", 3)


class SentLog:
    """Stands in for the store's KafkaBasedLog: what the store would send, read back at once."""

    def __init__(self, store) -> None:
        self.store, self.sent = store, []

    def send(self, key: bytes, value, callback=None) -> None:
        self.sent.append((key.decode(), json.loads(value) if value is not None else None))
        self.store._read(LogRecord(key, value, 0, len(self.sent), 0))


def test_a_workers_own_unassigned_replaces_its_running_and_a_connectors_late_unassigned_does_not_hide_running():
    store = KafkaStatusBackingStore("connect-status", CLIENT)
    feed = Feeder(store)
    # The worker that stopped the task (clean stop, same generation) is no longer shown running it.
    feed("status-task-my-c-0", json.loads(status_value(Status("RUNNING", "w1:8083", generation=5))))
    feed("status-task-my-c-0", json.loads(status_value(Status("UNASSIGNED", "w1:8083", generation=5))))
    assert store.task(ConnectorTaskId("my-c", 0)) == Status("UNASSIGNED", "w1:8083", generation=5)
    feed("status-connector-my-c", json.loads(status_value(Status("RUNNING", "w1:8083", generation=5))))
    feed("status-connector-my-c", json.loads(status_value(Status("UNASSIGNED", "w1:8083", generation=5))))
    assert store.connector("my-c").state == "UNASSIGNED"
    # The new owner's RUNNING is not hidden by the old owner's late UNASSIGNED.
    feed("status-connector-my-c", json.loads(status_value(Status("RUNNING", "w2:8083", generation=7))))
    feed("status-connector-my-c", json.loads(status_value(Status("UNASSIGNED", "w1:8083", generation=5))))
    assert store.connector("my-c") == Status("RUNNING", "w2:8083", generation=7)


def test_put_safe_never_overwrites_a_newer_generations_status_of_another_worker():
    store = KafkaStatusBackingStore("connect-status", CLIENT)
    store._log = SentLog(store)
    task = ConnectorTaskId("my-c", 0)
    store.put_task(task, Status("RUNNING", "w2:8083", generation=7))
    store.put_connector("my-c", Status("RUNNING", "w2:8083", generation=7))
    assert not store.put_task_safe(task, Status("UNASSIGNED", "w1:8083", generation=6))
    assert not store.put_connector_safe("my-c", Status("UNASSIGNED", "w1:8083", generation=6))
    assert [state for _, state in store._log.sent] == [{"state": "RUNNING", "trace": None, "worker_id": "w2:8083",
                                                         "generation": 7}] * 2
    assert store.task(task).state == "RUNNING" and store.connector("my-c").state == "RUNNING"
    # The same generation may write (and the read rule keeps w2's RUNNING); the owner itself always may.
    assert store.put_task_safe(task, Status("UNASSIGNED", "w1:8083", generation=7))
    assert store.task(task) == Status("RUNNING", "w2:8083", generation=7)
    assert store.put_task_safe(task, Status("UNASSIGNED", "w2:8083", generation=3))
    assert store.task(task) == Status("UNASSIGNED", "w2:8083", generation=3)
    assert len(store._log.sent) == 4
