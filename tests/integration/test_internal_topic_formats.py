"""The internal topics decoded by a reader that knows only Kafka Connect's formats (issue 14 item 3).

``decode_*`` below are written from Kafka Connect's documented record formats
(KafkaConfigBackingStore, KafkaOffsetBackingStore, KafkaStatusBackingStore; see
/work/shared/reference/kafka-connect-runtime.md "Internal topics"), not from dbconnect's code: string
keys and JsonConverter values with schemas.enable=false, read with a plain confluent-kafka consumer.
Offsets must also sit on the partition Java's producer would choose (murmur2 of the key bytes), so
a Java worker's compaction and reads agree with ours. The other direction, records as a Java worker
writes them read by our stores, is here too.
"""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from dbconnect.runtime.stores.internal_topics import ensure_internal_topic
from dbconnect.runtime.stores.kafka_configs import KafkaConfigBackingStore
from dbconnect.runtime.stores.kafka_offsets import KafkaOffsetBackingStore
from dbconnect.runtime.stores.kafka_status import KafkaStatusBackingStore
from dbconnect.runtime.stores.offsets import offset_key
from dbconnect.runtime.stores.status import ConnectorTaskId, Status

pytestmark = pytest.mark.integration


# -- Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) and DefaultPartitioner choice

def java_murmur2(data: bytes) -> int:
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key: bytes, partitions: int) -> int:
    return (java_murmur2(key) & 0x7FFFFFFF) % partitions


def test_java_murmur2_matches_kafkas_test_vectors():
    # UtilsTest.testMurmur2 in Apache Kafka.
    assert java_murmur2(b"21") == -973932308
    assert java_murmur2(b"foobar") == -790332482
    assert java_murmur2(b"a-little-bit-long-string") == -985981536
    assert java_murmur2(b"a-little-bit-longer-string") == -1486304829
    assert java_murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert java_murmur2(b"abc") == 479470107


# -- the decoders: Kafka Connect's formats only

TASK_KEY = re.compile(r"^task-(.+)-(\d+)$")


def decode_config_record(key: bytes, value: bytes | None) -> tuple:
    k = key.decode("utf-8")
    v = None if value is None else json.loads(value)
    if k.startswith("connector-"):
        assert v is None or set(v) == {"properties"}, v
        assert v is None or all(isinstance(x, str) for x in v["properties"].values())
        return ("connector", k[len("connector-"):], None if v is None else v["properties"])
    if k.startswith("task-"):
        name, index = TASK_KEY.match(k).groups()
        assert set(v) == {"properties"}
        return ("task", name, int(index), v["properties"])
    if k.startswith("commit-"):
        # "tasks" is the field Kafka reads; other fields are ignored by its reader.
        assert isinstance(v["tasks"], int)
        return ("commit", k[len("commit-"):], v["tasks"])
    if k.startswith("target-state-"):
        if v is None:
            return ("target-state", k[len("target-state-"):], None)
        assert set(v) == {"state", "state.v2"} and v["state"] in ("STARTED", "PAUSED")
        assert v["state"] == ("PAUSED" if v["state.v2"] == "STOPPED" else v["state.v2"])
        return ("target-state", k[len("target-state-"):], v["state.v2"])
    if k.startswith("restart-connector-"):
        assert set(v) == {"include-tasks", "only-failed"}
        return ("restart", k[len("restart-connector-"):], v["include-tasks"], v["only-failed"])
    if k == "session-key":
        assert set(v) == {"key", "algorithm", "creation-timestamp"}
        return ("session-key", base64.b64decode(v["key"]), v["algorithm"], v["creation-timestamp"])
    raise AssertionError(f"not a Kafka Connect config topic key: {k}")


def decode_offset_record(key: bytes, value: bytes | None) -> tuple:
    connector, partition = json.loads(key)
    assert isinstance(connector, str) and isinstance(partition, dict)
    return (connector, partition, None if value is None else json.loads(value))


def decode_status_record(key: bytes, value: bytes | None) -> tuple:
    k = key.decode("utf-8")
    v = None if value is None else json.loads(value)
    if v is not None:
        assert set(v) == {"state", "trace", "worker_id", "generation"}, v
        assert isinstance(v["generation"], int) and (v["trace"] is None or isinstance(v["trace"], str))
    if k.startswith("status-connector-"):
        return ("connector", k[len("status-connector-"):], v)
    match = re.match(r"^status-task-(.+)-(\d+)$", k)
    assert match, k
    return ("task", match.group(1), int(match.group(2)), v)


def read_topic(broker, topic: str, n: int):
    """Every record of every partition, with a plain consumer (assign, no group)."""
    consumer = Consumer(broker.client_config(**{"group.id": f"decoder-{uuid.uuid4().hex[:8]}",
                                                "enable.auto.commit": False, "auto.offset.reset": "earliest"}))
    try:
        partitions = broker.admin.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        records = []
        while len(records) < n:
            batch = consumer.consume(num_messages=n, timeout=10)
            if not batch:
                raise AssertionError(f"read {len(records)} of {n} records of {topic}")
            records.extend(m for m in batch if m.error() is None)
        return records
    finally:
        consumer.close()


@pytest.fixture
def topics(broker):
    suffix = uuid.uuid4().hex[:8]
    names = {"config": f"connect-configs-{suffix}", "offset": f"connect-offsets-{suffix}",
             "status": f"connect-status-{suffix}"}
    ensure_internal_topic(broker.client_config(), names["config"], "config.storage.topic", 1, -1,
                          "connector configurations")
    ensure_internal_topic(broker.client_config(), names["offset"], "offset.storage.topic", 25, -1,
                          "source connector offsets")
    ensure_internal_topic(broker.client_config(), names["status"], "status.storage.topic", 5, -1,
                          "connector and task statuses")
    return names


def test_config_topic_records_decode_as_kafka_connects(broker, topics):
    store = KafkaConfigBackingStore(topics["config"], broker.client_config())
    store.start(30)
    try:
        store.put_connector_config("jdbc-src", {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
                                                "tasks.max": "2"}, "STOPPED")
        store.put_task_configs("jdbc-src", [{"tables": "a"}, {"tables": "b"}], generation=4)
        store.put_target_state("jdbc-src", "PAUSED")
        store.put_restart_request("jdbc-src", include_tasks=True, only_failed=True)
        store.put_session_key(b"k" * 32, "HmacSHA256", 1_764_000_000_000)
        store.remove_connector_config("jdbc-src")
    finally:
        store.stop()
    records = read_topic(broker, topics["config"], 10)
    assert {m.partition() for m in records} == {0}
    decoded = [decode_config_record(m.key(), m.value()) for m in records]
    config = {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "tasks.max": "2"}
    assert decoded == [
        ("target-state", "jdbc-src", "STOPPED"),
        ("connector", "jdbc-src", config),
        ("task", "jdbc-src", 0, {"tables": "a"}),
        ("task", "jdbc-src", 1, {"tables": "b"}),
        ("commit", "jdbc-src", 2),
        ("target-state", "jdbc-src", "PAUSED"),
        ("restart", "jdbc-src", True, True),
        ("session-key", b"k" * 32, "HmacSHA256", 1_764_000_000_000),
        ("connector", "jdbc-src", None),
        ("target-state", "jdbc-src", None),
    ]
    # The STOPPED target state as an old worker reads it: "state" says PAUSED.
    assert json.loads(records[0].value()) == {"state": "PAUSED", "state.v2": "STOPPED"}


def test_offset_topic_records_decode_and_sit_on_javas_partition(broker, topics):
    store = KafkaOffsetBackingStore(topics["offset"], broker.client_config())
    store.start(30)
    try:
        offsets = {offset_key("jdbc-src", {"protocol": "1", "table": f"shop.t{i}"}):
                   json.dumps({"incrementing": i, "timestamp_nanos": 0, "timestamp": 1_764_000_000_000}).encode()
                   for i in range(12)}
        store.set(offsets)
        store.set({offset_key("jdbc-src", {"protocol": "1", "table": "shop.t0"}): None})
    finally:
        store.stop()
    records = read_topic(broker, topics["offset"], 13)
    decoded = [decode_offset_record(m.key(), m.value()) for m in records]
    assert sorted(((d[1]["table"], d[2] and d[2]["incrementing"]) for d in decoded), key=repr) == sorted(
        [(f"shop.t{i}", i) for i in range(12)] + [("shop.t0", None)], key=repr)
    assert all(d[0] == "jdbc-src" for d in decoded)
    for m in records:
        assert m.partition() == java_partition(m.key(), 25), m.key()
    assert len({m.partition() for m in records}) > 1


def test_status_topic_records_decode_as_kafka_connects(broker, topics):
    store = KafkaStatusBackingStore(topics["status"], broker.client_config())
    store.start(30)
    try:
        store.put_connector("jdbc-src", Status("RUNNING", "10.0.0.7:8083", generation=7))
        store.put_task(ConnectorTaskId("jdbc-src", 0), Status("FAILED", "10.0.0.7:8083", trace="Traceback: x", generation=7))
        store.put_task(ConnectorTaskId("jdbc-src", 1), Status("RUNNING", "10.0.0.8:8083", generation=7))
        assert store.flush(30)
        assert store.refresh(30)
        store.forget("jdbc-src")
        assert store.flush(30)
    finally:
        store.stop()
    records = read_topic(broker, topics["status"], 6)
    decoded = sorted((decode_status_record(m.key(), m.value()) for m in records), key=repr)
    assert decoded == sorted([
        ("connector", "jdbc-src", {"state": "RUNNING", "trace": None, "worker_id": "10.0.0.7:8083", "generation": 7}),
        ("task", "jdbc-src", 0, {"state": "FAILED", "trace": "Traceback: x", "worker_id": "10.0.0.7:8083",
                                 "generation": 7}),
        ("task", "jdbc-src", 1, {"state": "RUNNING", "trace": None, "worker_id": "10.0.0.8:8083", "generation": 7}),
        ("connector", "jdbc-src", None),
        ("task", "jdbc-src", 0, None),
        ("task", "jdbc-src", 1, None),
    ], key=repr)


def test_records_written_as_a_java_worker_writes_them_are_read(broker, topics):
    """The other direction: a config, offset and status topic left by a Java worker."""
    java = broker.producer
    config = {"connector.class": "FileStreamSource", "name": "file-src", "tasks.max": "1"}
    for key, value in [("connector-file-src", {"properties": config}),
                       ("target-state-file-src", {"state": "PAUSED", "state.v2": "STOPPED"}),
                       ("task-file-src-0", {"properties": {"file": "/tmp/a.txt"}}),
                       ("commit-file-src", {"tasks": 1}),
                       ("connector-other", {"properties": {"connector.class": "X"}}),
                       ("target-state-other", {"state": "PAUSED"})]:  # a pre-KIP-875 worker: no state.v2
        java.produce(topics["config"], key=key.encode(), value=json.dumps(value).encode(), partition=0)
    offset_k = b'["file-src",{"filename":"/tmp/a.txt"}]'
    java.produce(topics["offset"], key=offset_k, value=b'{"position":1234}', partition=java_partition(offset_k, 25))
    java.produce(topics["status"], key=b"status-task-file-src-0",
                 value=b'{"state":"RUNNING","trace":null,"worker_id":"connect-1:8083","generation":3}')
    assert java.flush(30) == 0

    configs = KafkaConfigBackingStore(topics["config"], broker.client_config())
    offsets = KafkaOffsetBackingStore(topics["offset"], broker.client_config())
    statuses = KafkaStatusBackingStore(topics["status"], broker.client_config())
    for store in (configs, offsets, statuses):
        store.start(30)
    try:
        assert configs.connector_config("file-src") == config
        assert configs.target_state("file-src") == "STOPPED"
        assert configs.target_state("other") == "PAUSED"
        assert configs.task_configs("file-src") == [{"file": "/tmp/a.txt"}]
        assert offsets.connector_offsets("file-src") == [{"partition": {"filename": "/tmp/a.txt"},
                                                          "offset": {"position": 1234}}]
        assert statuses.task(ConnectorTaskId("file-src", 0)) == Status("RUNNING", "connect-1:8083", generation=3)
    finally:
        for store in (configs, offsets, statuses):
            store.stop()
