"""The JDBC sink writes promptly with default settings (issue 9, item 3).

The worker keeps Kafka Connect's default ``offset.flush.interval.ms`` (60 s): a changed row must
not wait for the next offset flush to reach the table, and its consumer offset must be committed
soon after it is written. The bounds are generous (seconds); bench/latency.py measures the latency.
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, TopicPartition

from dbconnect.runtime.connect import StandaloneConnect

from .conftest import WorkerHandle, worker_properties
from .jdbc_helpers import Db, db, wait_until  # noqa: F401
from .test_jdbc_sink_worker import count, envelope, key_envelope, sink_config

pytestmark = pytest.mark.integration

PROMPT = 5.0  # seconds: "within a few seconds" of the produce, far below the 60 s offset flush


@pytest.fixture
def default_worker(broker, tmp_path):
    """A worker with the default offset.flush.interval.ms (the shared fixture sets 500 ms)."""
    props = worker_properties(broker, tmp_path)
    del props["offset.flush.interval.ms"]
    connect = StandaloneConnect(props)
    connect.start()
    handle = WorkerHandle(connect)
    yield handle
    handle.stop()


def committed_offset(broker, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False})
    try:
        [tp] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return tp.offset
    finally:
        consumer.close()


def test_a_single_record_reaches_the_table_within_seconds_with_default_settings(db: Db, default_worker, broker,
                                                                              topic_name):
    worker = default_worker
    assert "offset.flush.interval.ms" not in worker.connect.config.originals  # Kafka's default: 60 s
    broker.create_topic(topic_name)
    name = f"prompt-{topic_name[-8:]}"
    group = f"connect-{name}"
    config = sink_config(db, topic_name, **{"insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
                                            "delete.enabled": "true"})
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    worker.wait_for_state(name)
    # The first record also waits for the consumer group join (about 3 s on the test broker).
    broker.produce(topic_name, [envelope(1)], keys=[key_envelope(1)])
    wait_until(lambda: count(db) == 1, timeout=20, interval=0.05, what="the first record in the table")

    # One more record, once the task is consuming: in the table within seconds, not at the flush.
    produced = time.monotonic()
    broker.produce(topic_name, [envelope(2)], keys=[key_envelope(2)])
    wait_until(lambda: count(db) == 2, timeout=PROMPT, interval=0.02, what="the second record within seconds")
    # ... and its offset is committed to the consumer group soon after.
    wait_until(lambda: committed_offset(broker, group, topic_name) == 2, timeout=PROMPT, interval=0.1,
               what="the consumer group's committed offset 2")
    assert time.monotonic() - produced < 2 * PROMPT

    # A delete (tombstone) is as prompt.
    broker.produce(topic_name, [None], keys=[key_envelope(1)])
    wait_until(lambda: db.execute("SELECT id FROM orders") == [(2,)], timeout=PROMPT, interval=0.02,
               what="the tombstone's delete within seconds")
    wait_until(lambda: committed_offset(broker, group, topic_name) == 3, timeout=PROMPT, interval=0.1,
               what="the consumer group's committed offset 3")
    assert worker.get(f"/connectors/{name}/status").json()["tasks"][0]["state"] == "RUNNING"
