"""The Kafka-backed stores of distributed mode against the embedded broker (issue 14 item 3).

Two store instances on one topic stand for two workers: each sees the other's writes; a new
instance (a restarted worker) reads everything back; badly configured internal topics are refused
with Kafka Connect's message.
"""

from __future__ import annotations

import threading
import time

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.runtime.stores.internal_topics import ensure_internal_topic
from dbconnect.runtime.stores.kafka_based_log import KafkaBasedLog, LogRecord
from dbconnect.runtime.stores.kafka_configs import KafkaConfigBackingStore, RestartRequest
from dbconnect.runtime.stores.kafka_offsets import KafkaOffsetBackingStore
from dbconnect.runtime.stores.kafka_status import KafkaStatusBackingStore
from dbconnect.runtime.stores.offsets import ConnectorOffsetReader, offset_key
from dbconnect.runtime.stores.status import ConnectorTaskId, Status

pytestmark = pytest.mark.integration


def wait_until(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def stores():
    started: list = []

    def start(store, timeout: float = 30.0):
        store.start(timeout)
        started.append(store)
        return store

    yield start
    for store in reversed(started):
        store.stop()


def config_topic(broker, topic_name: str) -> str:
    ensure_internal_topic(broker.client_config(), topic_name, "config.storage.topic", 1, 1, "connector configurations")
    return topic_name


# -- KafkaBasedLog

def test_log_reads_to_end_of_records_written_before_and_after_start(broker, topic_name):
    broker.create_topic(topic_name, partitions=3, config={"cleanup.policy": "compact"})
    # A multi-record batch written by another client before the log starts.
    broker.produce(topic_name, [b"v%d" % i for i in range(20)], keys=[b"k%d" % i for i in range(20)], partition=None)
    seen: list[LogRecord] = []
    log = KafkaBasedLog(topic_name, broker.client_config(), seen.append)
    log.start(30)
    try:
        assert len(seen) == 20
        assert {r.key for r in seen} == {b"k%d" % i for i in range(20)}
        for i in range(30):
            log.send(b"n%d" % i, b"x")
        assert log.flush(30)
        assert log.read_to_end(30)
        assert len(seen) == 50, "read_to_end returned before every acknowledged record was read"
        assert log.partition_count == 3
    finally:
        log.stop()


def test_read_to_end_waits_for_the_last_record_of_our_own_writes(broker, topic_name):
    """The embedded broker's end offset is "base offset of the last batch + 1": after a multi-record
    batch, read_to_end would return while the batch's later records are still being handed over.
    The log writes single-record batches, so its own writes are waited for, however slow on_record is."""
    broker.create_topic(topic_name, partitions=1, config={"cleanup.policy": "compact"})
    seen: list[LogRecord] = []

    def slow(record: LogRecord) -> None:
        time.sleep(0.02)  # a slow reader (not synchronisation): widens the window of an early return
        seen.append(record)

    log = KafkaBasedLog(topic_name, broker.client_config(), slow)
    log.start(30)
    try:
        for i in range(30):
            log.send(b"k%d" % i, b"v")
        assert log.flush(30)
        assert log.read_to_end(30)
        assert len(seen) == 30
    finally:
        log.stop()


# -- internal topics

def test_internal_topic_created_compacted_when_missing(broker, topic_name):
    assert ensure_internal_topic(broker.client_config(), topic_name, "status.storage.topic", 5, -1,
                                 "connector and task statuses") == 5
    assert broker.topics()[topic_name] == 5
    # An existing, correct topic is accepted again (a restarted worker).
    assert ensure_internal_topic(broker.client_config(), topic_name, "status.storage.topic", 5, -1,
                                 "connector and task statuses") == 5


def test_internal_topic_with_delete_policy_refused(broker, topic_name):
    broker.create_topic(topic_name, partitions=1)  # the broker's default policy: delete
    with pytest.raises(ConfigError) as info:
        ensure_internal_topic(broker.client_config(), topic_name, "offset.storage.topic", 25, -1,
                              "source connector offsets")
    assert str(info.value) == (
        f"Topic '{topic_name}' supplied via the 'offset.storage.topic' property is required to have "
        "'cleanup.policy=compact' to guarantee consistency and durability of source connector offsets, but "
        "found the topic currently has 'cleanup.policy=delete'. Continuing would likely result in eventually "
        "losing source connector offsets and problems restarting this Connect cluster in the future. Change "
        "the 'offset.storage.topic' property in the Connect worker configurations to use a topic with "
        "'cleanup.policy=compact'.")


def test_internal_topic_with_compact_and_delete_refused(broker, topic_name):
    broker.create_topic(topic_name, partitions=1, config={"cleanup.policy": "compact,delete"})
    with pytest.raises(ConfigError, match=r"currently has 'cleanup.policy=compact,delete'"):
        ensure_internal_topic(broker.client_config(), topic_name, "status.storage.topic", 5, -1,
                              "connector and task statuses")


def test_config_topic_with_two_partitions_refused(broker, topic_name):
    broker.create_topic(topic_name, partitions=2, config={"cleanup.policy": "compact"})
    expected = (f"Topic '{topic_name}' supplied via the 'config.storage.topic' property is required to have a "
                "single partition in order to guarantee consistency of connector configurations, but found 2 "
                "partitions.")
    with pytest.raises(ConfigError) as info:
        ensure_internal_topic(broker.client_config(), topic_name, "config.storage.topic", 1, -1,
                              "connector configurations")
    assert str(info.value) == expected
    # The store checks too, for a topic it did not create.
    store = KafkaConfigBackingStore(topic_name, broker.client_config())
    with pytest.raises(ConfigError) as info:
        store.start(30)
    assert str(info.value) == expected


# -- configs

class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.lock = threading.Lock()

    def _add(self, kind: str, arg: object) -> None:
        with self.lock:
            self.events.append((kind, arg))

    def on_connector_config_update(self, name): self._add("config", name)
    def on_connector_config_remove(self, name): self._add("remove", name)
    def on_task_config_update(self, names): self._add("tasks", frozenset(names))
    def on_target_state_change(self, name): self._add("target", name)
    def on_restart_request(self, request): self._add("restart", request)
    def on_session_key_update(self, key): self._add("session", key)

    def has(self, event) -> bool:
        with self.lock:
            return event in self.events


def test_two_config_stores_see_each_others_writes_and_restart_reads_back(broker, topic_name, stores):
    topic = config_topic(broker, topic_name)
    a = stores(KafkaConfigBackingStore(topic, broker.client_config()))
    b = stores(KafkaConfigBackingStore(topic, broker.client_config()))
    assert a.offset == -1 or a.offset == 0
    seen_by_b = Recorder()
    b.set_update_listener(seen_by_b)

    a.put_connector_config("orders", {"connector.class": "X", "tasks.max": "2"}, None)
    wait_until(lambda: seen_by_b.has(("config", "orders")), what="b sees the connector")
    assert b.connector_config("orders") == {"connector.class": "X", "tasks.max": "2"}
    assert b.target_state("orders") == "STARTED"

    a.put_task_configs("orders", [{"task": "0"}, {"task": "1"}], generation=3)
    wait_until(lambda: seen_by_b.has(("tasks", frozenset({"orders"}))), what="b sees the task commit")
    assert b.task_configs("orders") == [{"task": "0"}, {"task": "1"}]
    assert b.snapshot().task_count("orders") == 2

    a.put_target_state("orders", "STOPPED")
    wait_until(lambda: seen_by_b.has(("target", "orders")), what="b sees the target state")
    assert b.target_state("orders") == "STOPPED"

    a.put_restart_request("orders", include_tasks=True, only_failed=False)
    wait_until(lambda: seen_by_b.has(("restart", RestartRequest("orders", only_failed=False, include_tasks=True))),
               what="b sees the restart request")

    a.put_session_key(b"\x01" * 32, "HmacSHA256", 1_700_000_000_000)
    assert b.refresh(30)
    assert b.session_key().key == b"\x01" * 32 and b.session_key().algorithm == "HmacSHA256"

    b.put_connector_config("customers", {"connector.class": "Y"}, "PAUSED")
    b.remove_connector_config("orders")
    assert a.refresh(30)
    assert a.connectors() == ["customers"]
    assert a.target_state("customers") == "PAUSED"
    assert a.task_configs("orders") == [] and a.target_state("orders") is None

    # A restarted worker reads everything back, without listener calls for the history.
    c_events = Recorder()
    c = KafkaConfigBackingStore(topic, broker.client_config())
    c.set_update_listener(c_events)
    stores(c)
    snap = c.snapshot()
    assert snap.offset == a.offset > 0
    assert dict(snap.connector_configs) == {"customers": {"connector.class": "Y"}}
    assert snap.target_state("customers") == "PAUSED"
    assert c.session_key() == a.session_key()
    assert c_events.events == []


def test_task_configs_invisible_until_commit(broker, topic_name, stores):
    topic = config_topic(broker, topic_name)
    store = stores(KafkaConfigBackingStore(topic, broker.client_config()))
    store.put_connector_config("c", {"connector.class": "X"}, None)
    # Task records written the way a leader that dies before its commit leaves them.
    broker.produce(topic, [b'{"properties":{"a":"1"}}'], keys=[b"task-c-0"])
    assert store.refresh(30)
    assert store.task_configs("c") == []
    broker.produce(topic, [b'{"tasks":1}'], keys=[b"commit-c"])
    assert store.refresh(30)
    assert store.task_configs("c") == [{"a": "1"}]


def test_commit_from_a_deposed_leaders_generation_is_ignored(broker, topic_name, stores):
    topic = config_topic(broker, topic_name)
    leader = stores(KafkaConfigBackingStore(topic, broker.client_config()))
    reader = stores(KafkaConfigBackingStore(topic, broker.client_config()))
    leader.put_connector_config("c", {"connector.class": "X"}, None)
    leader.put_task_configs("c", [{"v": "new"}], generation=7)
    leader.put_task_configs("c", [{"v": "stale"}, {"v": "stale"}], generation=6)
    assert reader.refresh(30)
    assert reader.task_configs("c") == [{"v": "new"}]
    # Without a generation (a Java worker's commit) the write applies, as in Kafka.
    leader.put_task_configs("c", [{"v": "java"}])
    assert reader.refresh(30)
    assert reader.task_configs("c") == [{"v": "java"}]


# -- offsets

def test_two_offset_stores_share_offsets_and_restart_reads_back(broker, topic_name, stores):
    ensure_internal_topic(broker.client_config(), topic_name, "offset.storage.topic", 5, -1, "source connector offsets")
    a = stores(KafkaOffsetBackingStore(topic_name, broker.client_config()))
    b = stores(KafkaOffsetBackingStore(topic_name, broker.client_config()))
    keys = [offset_key("src", {"table": f"t{i}"}) for i in range(10)]
    a.set({k: b'{"incrementing":%d}' % i for i, k in enumerate(keys)})
    assert b.get([keys[3]]) == {keys[3]: b'{"incrementing":3}'}
    assert ConnectorOffsetReader(b, "src").offset({"table": "t9"}) == {"incrementing": 9}
    b.set({keys[0]: None, keys[1]: b'{"incrementing":100}'})
    got = a.get(keys[:2])
    assert got == {keys[0]: None, keys[1]: b'{"incrementing":100}'}
    assert a.delete_connector("src") == 9
    c = stores(KafkaOffsetBackingStore(topic_name, broker.client_config()))
    assert c.items() == []
    a.set({keys[5]: b'{"incrementing":5}'})
    d = stores(KafkaOffsetBackingStore(topic_name, broker.client_config()))
    assert d.connector_offsets("src") == [{"partition": {"table": "t5"}, "offset": {"incrementing": 5}}]


def test_offset_store_on_a_topic_it_did_not_create(broker, topic_name, stores):
    # The user's sequence without ensure_internal_topic: the topic exists with the broker's defaults.
    broker.create_topic(topic_name, partitions=4, config={"cleanup.policy": "compact"})
    a = stores(KafkaOffsetBackingStore(topic_name, broker.client_config()))
    a.set({offset_key("s", {"p": 1}): b'{"o":1}'})
    assert stores(KafkaOffsetBackingStore(topic_name, broker.client_config())).get(
        [offset_key("s", {"p": 1})]) == {offset_key("s", {"p": 1}): b'{"o":1}'}


# -- statuses

def test_two_status_stores_see_each_others_statuses_and_forget(broker, topic_name, stores):
    ensure_internal_topic(broker.client_config(), topic_name, "status.storage.topic", 5, -1,
                          "connector and task statuses")
    a = stores(KafkaStatusBackingStore(topic_name, broker.client_config()))
    b = stores(KafkaStatusBackingStore(topic_name, broker.client_config()))
    a.put_connector("c", Status("RUNNING", "10.0.0.1:8083", generation=2))
    a.put_task(ConnectorTaskId("c", 0), Status("FAILED", "10.0.0.1:8083", trace="boom", generation=2))
    b.put_task(ConnectorTaskId("c", 1), Status("RUNNING", "10.0.0.2:8083", generation=2))
    assert a.flush() and b.flush()
    for store in (a, b):
        assert store.refresh(30)
        assert store.connector("c") == Status("RUNNING", "10.0.0.1:8083", generation=2)
        assert store.tasks("c") == {0: Status("FAILED", "10.0.0.1:8083", trace="boom", generation=2),
                                    1: Status("RUNNING", "10.0.0.2:8083", generation=2)}
    restarted = stores(KafkaStatusBackingStore(topic_name, broker.client_config()))
    assert restarted.task(ConnectorTaskId("c", 1)) == Status("RUNNING", "10.0.0.2:8083", generation=2)
    b.forget("c")
    assert b.flush() and a.refresh(30)
    assert a.connector("c") is None and a.tasks("c") == {}


def test_status_put_safe_does_not_replace_a_newer_generation_of_another_worker(broker, topic_name, stores):
    ensure_internal_topic(broker.client_config(), topic_name, "status.storage.topic", 5, -1,
                          "connector and task statuses")
    new_owner = stores(KafkaStatusBackingStore(topic_name, broker.client_config()))
    old_owner = stores(KafkaStatusBackingStore(topic_name, broker.client_config()))
    task = ConnectorTaskId("c", 0)
    new_owner.put_task(task, Status("RUNNING", "w2:8083", generation=5))
    assert new_owner.flush() and old_owner.refresh(30)
    assert old_owner.put_task_safe(task, Status("UNASSIGNED", "w1:8083", generation=4)) is False
    # Its own status, or a newer generation, is written.
    assert new_owner.put_task_safe(task, Status("PAUSED", "w2:8083", generation=5)) is True
    assert new_owner.flush() and old_owner.refresh(30)
    assert old_owner.task(task) == Status("PAUSED", "w2:8083", generation=5)
    assert old_owner.put_task_safe(task, Status("RUNNING", "w1:8083", generation=6)) is True
    assert old_owner.flush() and new_owner.refresh(30)
    assert new_owner.task(task) == Status("RUNNING", "w1:8083", generation=6)


def test_log_on_a_missing_topic_fails_to_start_with_its_name(broker, topic_name):
    log = KafkaBasedLog(topic_name, broker.client_config(), lambda record: None)
    with pytest.raises(Exception, match=f"The internal topic '{topic_name}' does not exist"):
        log.start(2)
    assert topic_name not in broker.topics(), "reading an internal topic must not auto-create it"
