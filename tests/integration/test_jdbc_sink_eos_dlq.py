"""Exactly-once JDBC sink with a dead letter queue: a crash after the database commit that moves the
stored offset past a failed record must not lose its DLQ copy (issue 11 item 2).

The sink reports through the runtime's real reporter (ErrorHandler and a DLQ producer on the
embedded broker) and writes to real PostgreSQL and MariaDB. The crash is a hook right after the
writer's transaction that stores an offset past the failed record: it drops what the producer has
not sent yet (a killed process loses it too) and ends the write. The producer lingers for a
minute, so nothing leaves it before a flush: the DLQ holds the record after the crash only if the
sink waited for its delivery before that commit.
"""

from __future__ import annotations

import threading
import time
import uuid
from types import SimpleNamespace

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from dbconnect.api.errors import ConnectError
from dbconnect.api.task import TopicPartition
from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.sink_task import _Reporter

from .jdbc_helpers import Db, db  # noqa: F401
from .test_jdbc_sink import Sink, order, record

pytestmark = pytest.mark.integration

TP = TopicPartition("orders", 0)
BAD = 1  # the offset of the record that cannot be written
DEADLINE = 30.0


class Crash(BaseException):
    """The worker process dies here (nothing in the task may catch it)."""


def dlq_copies(broker, topic: str, offset: int) -> list:
    """DLQ messages for ``orders`` offset ``offset`` (read from the start of every partition)."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": f"check-{uuid.uuid4().hex}",
                         "enable.auto.commit": False})
    try:
        deadline = time.monotonic() + DEADLINE
        partitions = None
        while partitions is None and time.monotonic() < deadline:
            meta = consumer.list_topics(topic, timeout=5).topics.get(topic)
            if meta is not None and meta.error is None and meta.partitions:
                partitions = list(meta.partitions)
        if partitions is None:
            return []  # nothing was ever produced to it
        consumer.assign([KafkaTopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        found: list = []
        while not found and time.monotonic() < deadline:
            for msg in consumer.consume(100, timeout=0.5):
                if msg.error() is None:
                    headers = dict(msg.headers() or [])
                    if headers.get("__connect.errors.offset") == str(offset).encode() and \
                            headers.get("__connect.errors.topic") == b"orders":
                        found.append(msg)
        return found
    finally:
        consumer.close()


@pytest.mark.parametrize("failure", ["unmappable", "rejected_by_database"])
def test_a_crash_after_committing_past_a_failed_record_keeps_its_dlq_copy(db: Db, broker, topic_name, failure):
    """unmappable: the record fails in put() (a tombstone without delete.enabled); rejected_by_database:
    its batch fails in the database and bisection isolates it (a name too long for its column)."""
    sink = Sink(db, **{"insert.mode": "insert", "pk.mode": "none", "exactly.once.enabled": "true",
                       "errors.tolerance": "all", "batch.size": "1000"})
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 60_000, "acks": "all"})
    handler = ErrorHandler("sink-test", 0, {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": topic_name,
                                            "errors.deadletterqueue.context.headers.enable": "true"}, producer)
    sink.context._reporter = _Reporter(SimpleNamespace(errors=handler, task=sink.task))
    if failure == "rejected_by_database":
        db.execute("CREATE TABLE orders (id BIGINT NOT NULL, name VARCHAR(5) NOT NULL, qty INT NULL)")
    sink.task.open([TP])

    crashed = threading.Event()
    write = sink.task.writer.write

    def write_then_crash(tables, offsets):
        write(tables, offsets)
        if offsets and offsets.get(("orders", 0), 0) > BAD:  # committed: the stored offset is past BAD
            producer.purge()
            crashed.set()
            raise Crash()

    sink.task.writer.write = write_then_crash
    bad = record(BAD, None) if failure == "unmappable" else record(BAD, order(BAD, name="x" * 10))
    sink.put(record(0, order(0)), bad, record(2, order(2)))
    assert crashed.wait(DEADLINE)
    sink.task._writes.wait()

    stored = db.execute("SELECT next_offset FROM dbconnect_sink_offsets WHERE connector = 'sink-test'")
    assert stored and stored[0][0] > BAD
    assert len(dlq_copies(broker, topic_name, BAD)) == 1, "the DLQ copy of the failed record was lost"
    sink.task.writer.write = write
    sink.stop()


@pytest.mark.parametrize("failure", ["unmappable", "rejected_by_database"])
def test_when_the_dlq_cannot_take_a_failed_record_the_offsets_stay_before_it(db: Db, broker, topic_name, failure):
    """The DLQ is unreachable: the task fails without committing past the record; after a restart
    with a working DLQ the record is reported and the rest written, nothing lost or doubled."""
    config = {"insert.mode": "insert", "pk.mode": "none", "exactly.once.enabled": "true", "errors.tolerance": "all",
              "batch.size": "1000"}
    dlq_config = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": topic_name,
                  "errors.deadletterqueue.context.headers.enable": "true"}
    if failure == "rejected_by_database":
        db.execute("CREATE TABLE orders (id BIGINT NOT NULL, name VARCHAR(5) NOT NULL, qty INT NULL)")
    batch = [record(0, order(0)),
             record(BAD, None) if failure == "unmappable" else record(BAD, order(BAD, name="x" * 10)),
             record(2, order(2))]

    sink = Sink(db, **config)
    unreachable = Producer({"bootstrap.servers": "127.0.0.1:9", "message.timeout.ms": 1000, "log_level": 0})
    handler = ErrorHandler("sink-test", 0, dlq_config, unreachable)
    sink.context._reporter = _Reporter(SimpleNamespace(errors=handler, task=sink.task))
    sink.task.open([TP])
    with pytest.raises(ConnectError, match="dead letter queue"):
        sink.put(*batch)
        sink.commit({TP: 3})  # the runtime's commit: writes what is buffered, takes the write's outcome
    sink.stop()
    del sink, handler, unreachable  # the producer stops reconnecting
    stored = db.execute("SELECT next_offset FROM dbconnect_sink_offsets WHERE connector = 'sink-test'")
    assert all(offset <= BAD for (offset,) in stored), "the offsets moved past a record the DLQ never got"

    restarted = Sink(db, **config)  # the task is restarted; the consumer redelivers from the group's offsets
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "acks": "all"})
    handler = ErrorHandler("sink-test", 0, dlq_config, producer)
    restarted.context._reporter = _Reporter(SimpleNamespace(errors=handler, task=restarted.task))
    restarted.task.open([TP])
    restarted.put(*batch)
    assert restarted.commit({TP: 3}) == {TP: 3}
    restarted.stop()
    assert [i for (i,) in db.execute("SELECT id FROM orders ORDER BY id")] == [0, 2]
    assert len(dlq_copies(broker, topic_name, BAD)) == 1
