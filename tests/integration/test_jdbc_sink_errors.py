"""JDBC sink error classification and the guarded psycopg fast path, against real databases (issue 11,
items 4 and 5): a record's error reaches the DLQ, a server-side interruption is retried and nothing is
lost, and a psycopg whose private COPY formatter changed still writes every record.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import pytest

from dbconnect.api.task import TopicPartition
from dbconnect.connectors.jdbc.postgresql import sink as pg_writer

from .jdbc_helpers import Db, db  # noqa: F401
from .test_jdbc_sink import Sink, order, record

pytestmark = pytest.mark.integration


@pytest.fixture
def pg(postgres) -> Db:
    return Db("postgresql", postgres)


def reported(sink: Sink) -> list[tuple[int, str]]:
    return sorted((r.kafka_offset, str(e)) for r, e in sink.reporter.reported)


# -- the record's fault: DLQ -------------------------------------------------------------------------------

def test_index_row_too_large_is_the_records_and_goes_to_the_dlq(pg: Db):
    # SQLSTATE 54000 (program limit exceeded) is raised as psycopg's OperationalError: it used to be
    # retried as transient until the task failed, and never reached the DLQ.
    pg.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT)")
    pg.execute("CREATE INDEX orders_name ON orders (name)")
    sink = Sink(pg, **{"pk.mode": "record_value", "pk.fields": "id", "errors.tolerance": "all",
                       "max.retries": "1"})
    batch = [record(i, order(i)) for i in range(5)]
    batch[2] = record(2, order(2, secrets.token_hex(8000)))  # incompressible: > 2704 bytes in the btree
    sink.put(*batch)
    tp = TopicPartition("orders", 0)
    assert sink.commit({tp: 5}) == {tp: 5}
    failures = reported(sink)
    assert [o for o, _ in failures] == [2]
    assert "ProgramLimitExceeded" in failures[0][1] or "index row" in failures[0][1]
    assert pg.execute("SELECT id FROM orders ORDER BY id") == [(0,), (1,), (3,), (4,)]
    sink.stop()


def test_value_too_long_and_check_constraint_are_the_records(db: Db):
    db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT, "
               "CONSTRAINT qty_positive CHECK (qty >= 0))")
    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "id", "errors.tolerance": "all",
                       "max.retries": "1"})
    batch = [record(i, order(i)) for i in range(6)]
    batch[1] = record(1, order(1, "much-too-long"))  # PostgreSQL 22001, MariaDB 1406
    batch[4] = record(4, order(4, qty=-1))            # PostgreSQL 23514, MariaDB 4025
    sink.put(*batch)
    tp = TopicPartition("orders", 0)
    assert sink.commit({tp: 6}) == {tp: 6}
    assert [o for o, _ in reported(sink)] == [1, 4]
    assert db.execute("SELECT id FROM orders ORDER BY id") == [(0,), (2,), (3,), (5,)]
    sink.stop()


# -- not the record's fault: retried, nothing lost -----------------------------------------------------------

def test_a_statement_timeout_is_retried_and_nothing_is_lost(db: Db):
    # A statement stopped by the server's timeout (MariaDB 1969, an OperationalError; PostgreSQL 57014)
    # says nothing about the records. MariaDB's used to count as the record's fault: bisection hit
    # the timeout again on the record whose row was locked, and errors.tolerance=all sent it to the
    # DLQ instead of the table.
    db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INT)")
    if db.pg:
        db.execute(f"ALTER DATABASE {db.q(db.name)} SET statement_timeout = '1s'")
    else:  # sessions take the global value when they connect: only the sink's connection has it
        db.execute("SET GLOBAL max_statement_time = 1")
    try:
        sink = Sink(db, **{"errors.tolerance": "all", "max.retries": "5"})
    finally:
        if not db.pg:
            db.execute("SET GLOBAL max_statement_time = 0")
    blocker = db.connect(autocommit=False)
    cur = blocker.cursor()
    cur.execute("INSERT INTO orders VALUES (1, 'blocker', 0)")  # uncommitted: the sink waits for id 1
    sink.put(*[record(i, order(i)) for i in range(4)])
    tp = TopicPartition("orders", 0)
    sink.commit({tp: 4})  # the INSERT times out: transient, the batch stays buffered
    assert sink.task._retries == 1
    assert sink.reporter.reported == []
    cur.execute("ROLLBACK")
    blocker.close()
    assert sink.commit({tp: 4}) == {tp: 4}  # the retry writes every record
    assert sink.reporter.reported == []
    assert db.execute("SELECT id FROM orders ORDER BY id") == [(0,), (1,), (2,), (3,)]
    sink.stop()


# -- psycopg's private COPY formatter, guarded ---------------------------------------------------------------

def test_fast_copy_self_test_passes_on_the_tested_psycopg(pg: Db):
    sink = Sink(pg)
    assert sink.task.writer.fast_copy is True
    assert pg_writer.fast_copy_problem(sink.task.writer.conn) is None
    sink.stop()


def test_fast_copy_self_test_refuses_a_formatter_that_changed_its_output(pg: Db, monkeypatch):
    real = pg_writer._format_row_binary

    def shifted(row: Any, tx: Any, out: bytearray) -> None:  # e.g. a new framing: one byte more per row
        real(row, tx, out)
        out += b"\x00"

    monkeypatch.setattr(pg_writer, "_format_row_binary", shifted)
    sink = Sink(pg)
    assert sink.task.writer.fast_copy is False
    assert "differently" in pg_writer.fast_copy_problem(sink.task.writer.conn)
    sink.stop()


def test_missing_formatter_uses_the_public_path_and_logs_once(pg: Db, monkeypatch, caplog):
    monkeypatch.setattr(pg_writer, "_format_row_binary", None)  # a psycopg without the private function
    pg.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT)")
    with caplog.at_level(logging.WARNING, logger=pg_writer.__name__):
        sink = Sink(pg, **{"pk.mode": "record_value", "pk.fields": "id", "errors.tolerance": "all"})
        assert sink.task.writer.fast_copy is False
        tp = TopicPartition("orders", 0)
        sink.put(record(0, order(0)), record(1, order(1, "much-too-long")), record(2, order(2)))
        assert sink.commit({tp: 3}) == {tp: 3}
        sink.put(record(3, order(3)))
        assert sink.commit({tp: 4}) == {tp: 4}
    assert [o for o, _ in reported(sink)] == [1]  # a bad record is still the record's, via the public path
    assert pg.execute("SELECT id FROM orders ORDER BY id") == [(0,), (2,), (3,)]
    assert len([r for r in caplog.records if "fast path unavailable" in r.getMessage()]) == 1
    sink.stop()


def test_a_fast_path_failure_is_never_a_record_error(pg: Db, monkeypatch, caplog):
    # The internals change under a running task (the start-up self-test passed): every batch used
    # to fail in the formatter and, with errors.tolerance=all, every record went to the DLQ.
    pg.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INT)")
    sink = Sink(pg, **{"pk.mode": "record_value", "pk.fields": "id", "errors.tolerance": "all"})

    def changed(row: Any, tx: Any, out: bytearray) -> None:
        raise AttributeError("'Transformer' object has no attribute 'dump_sequence'")

    monkeypatch.setattr(pg_writer, "_format_row_binary", changed)
    tp = TopicPartition("orders", 0)
    with caplog.at_level(logging.WARNING, logger=pg_writer.__name__):
        sink.put(*[record(i, order(i)) for i in range(3)])
        assert sink.commit({tp: 3}) == {tp: 3}
        sink.put(*[record(i, order(i)) for i in range(3, 5)])
        assert sink.commit({tp: 5}) == {tp: 5}
    assert sink.reporter.reported == []
    assert pg.execute("SELECT id FROM orders ORDER BY id") == [(i,) for i in range(5)]
    assert getattr(sink.task.writer, "fast_copy", None) is False
    assert len([r for r in caplog.records if "fast path failed" in r.getMessage()]) == 1
    sink.stop()


# -- through a real worker: the DLQ topic ---------------------------------------------------------------------

def test_index_row_too_large_reaches_the_dlq_topic_in_a_worker(pg: Db, worker, broker, topic_name):
    from .test_jdbc_sink_worker import count, envelope, sink_config

    pg.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(10,2), "
               "at TIMESTAMP(6))")
    pg.execute("CREATE INDEX orders_name ON orders (name)")
    broker.create_topic(topic_name)
    dlq = topic_name + "-dlq"
    broker.create_topic(dlq)
    values = [envelope(1), envelope(2, secrets.token_hex(8000)), envelope(3)]
    broker.produce(topic_name, values, keys=[b"k1", b"k2", b"k3"])
    config = sink_config(pg, topic_name, **{
        "pk.mode": "record_value", "pk.fields": "id", "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.context.headers.enable": "true", "max.retries": "2"})
    name = f"limit-dlq-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    [dead] = broker.consume(dlq, 1, timeout=60)
    assert dead.value() == values[1] and dead.key() == b"k2"
    headers = {k: v.decode() for k, v in dead.headers()}
    assert "ProgramLimitExceeded" in headers["__connect.errors.exception.message"]
    assert count(pg) == 2 and pg.execute("SELECT id FROM orders ORDER BY id") == [(1,), (3,)]
    worker.wait_for_state(name)  # RUNNING: the task did not fail after its retries
