"""JdbcSinkConnector in a real worker: REST validation, JSON and JSON Schema input, the DLQ, connection
loss mid-stream, and exactly-once across kill -9 of the worker process."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from .jdbc_helpers import Db, db, wait_until  # noqa: F401
from .test_jdbc_sink import kill_sink_connections

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ORDER_SCHEMA = {
    "type": "struct", "name": "Order", "optional": False, "fields": [
        {"field": "id", "type": "int64", "optional": False},
        {"field": "name", "type": "string", "optional": False},
        {"field": "amount", "type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal",
         "version": 1, "parameters": {"scale": "2"}},
        {"field": "at", "type": "int64", "optional": True, "name": "org.apache.kafka.connect.data.Timestamp",
         "version": 1},
    ]}


def envelope(i: int, name: str = "n", amount: str = "1.50", schema: dict = ORDER_SCHEMA) -> bytes:
    unscaled = int(decimal.Decimal(amount).scaleb(2))
    raw = unscaled.to_bytes((unscaled.bit_length() // 8) + 1, "big", signed=True)
    import base64

    payload = {"id": i, "name": f"{name}{i}", "amount": base64.b64encode(raw).decode(), "at": 1_700_000_000_000 + i}
    return orjson.dumps({"schema": schema, "payload": payload})


def key_envelope(i: int) -> bytes:
    return orjson.dumps({"schema": {"type": "int64", "optional": False}, "payload": i})


def sink_config(db: Db, topic: str, **extra: Any) -> dict[str, str]:
    config = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "1", "topics": topic,
        "connection.url": db.server.jdbc_url(db.name), "connection.user": db.server.user,
        "connection.password": db.server.password, "auto.create": "true", "table.name.format": "orders",
        "retry.backoff.ms": "200", "connection.backoff.ms": "200",
    }
    config.update({k: str(v) for k, v in extra.items()})
    return config


def count(db: Db, table: str = "orders") -> int:
    try:
        return db.execute(f"SELECT count(*) FROM {db.q(table)}")[0][0]
    except Exception:  # not created yet
        return 0


def test_upsert_end_to_end_with_json_converter(db: Db, worker, broker, topic_name):
    broker.create_topic(topic_name)
    broker.produce(topic_name, [envelope(i) for i in range(50)], keys=[key_envelope(i) for i in range(50)])
    config = sink_config(db, topic_name, **{"insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
                                            "delete.enabled": "true"})
    name = f"sink-{topic_name[-8:]}"  # consumer groups outlive workers on the shared broker
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    worker.wait_for_state(name)
    wait_until(lambda: count(db) == 50, what="50 rows")
    broker.produce(topic_name, [envelope(7, "upd", "9.99"), None], keys=[key_envelope(7), key_envelope(8)])
    wait_until(lambda: db.execute("SELECT name FROM orders WHERE id = 7") == [("upd7",)] and count(db) == 49,
               what="update and delete")
    assert db.execute("SELECT amount, at FROM orders WHERE id = 7") == [
        (decimal.Decimal("9.99"), dt.datetime(2023, 11, 14, 22, 13, 20, 7000))]
    # Offsets are committed once the rows are in the database.
    def committed():
        return [e["offset"] for e in worker.get(f"/connectors/{name}/offsets").json()["offsets"]
                if e["partition"]["kafka_topic"] == topic_name]
    wait_until(lambda: committed() == [{"kafka_offset": 52}], what="committed offsets")
    status = worker.get(f"/connectors/{name}/status").json()
    assert status["tasks"][0]["state"] == "RUNNING" and db.server.password not in json.dumps(status)


def test_validate_rejects_deletes_without_record_key_with_confluents_message(worker, postgres):
    config = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": "t",
              "connection.url": postgres.jdbc_url(), "delete.enabled": "true", "pk.mode": "record_value",
              "connection.password": "s3cret-value"}
    response = worker.put("/connectors/bad/config", json=config)
    assert response.status_code == 400
    assert "Deletes are only supported for pk.mode record_key" in response.json()["message"]
    assert "s3cret-value" not in response.text
    validated = worker.put("/connector-plugins/JdbcSinkConnector/config/validate",
                           json={"name": "bad", **config}).json()
    errors = {c["value"]["name"]: c["value"]["errors"] for c in validated["configs"] if c["value"]["errors"]}
    assert errors == {"pk.mode": ["Deletes are only supported for pk.mode record_key"],
                      "delete.enabled": ["Deletes are only supported for pk.mode record_key"]}
    assert "s3cret-value" not in json.dumps(validated)
    bad_mode = dict(config, **{"delete.enabled": "false", "pk.mode": "none", "insert.mode": "upsert"})
    response = worker.put("/connectors/bad/config", json=bad_mode)
    assert response.status_code == 400 and "insert.mode=upsert needs key columns" in response.json()["message"]


def test_bad_records_go_to_the_dlq_with_every_header(db: Db, worker, broker, topic_name):
    db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(4) NOT NULL, amount NUMERIC(10,2), "
               f"at {db.ts_type})")
    broker.create_topic(topic_name)
    dlq = topic_name + "-dlq"
    broker.create_topic(dlq)
    values = [envelope(1), envelope(2, "too-long-name"), envelope(3)]
    broker.produce(topic_name, values, keys=[b"k1", b"k2", b"k3"], headers=[("origin", b"test")])
    config = sink_config(db, topic_name, **{
        "pk.mode": "record_value", "pk.fields": "id", "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.context.headers.enable": "true"})
    name = f"dlq-sink-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    wait_until(lambda: count(db) == 2, what="good rows")
    [dead] = broker.consume(dlq, 1, timeout=30)
    assert dead.value() == values[1] and dead.key() == b"k2"
    headers = {k: v.decode() for k, v in dead.headers()}
    assert headers["origin"] == "test"
    assert headers["__connect.errors.topic"] == topic_name
    assert headers["__connect.errors.partition"] == "0"
    assert headers["__connect.errors.offset"] == "1"
    assert headers["__connect.errors.connector.name"] == name
    assert headers["__connect.errors.task.id"] == "0"
    assert headers["__connect.errors.stage"] == "TASK_PUT"
    assert headers["__connect.errors.class.name"] == "dbconnect.connectors.jdbc.sink.connector.JdbcSinkTask"
    assert headers["__connect.errors.exception.class.name"].endswith("_RecordWriteError")
    assert ("value too long" in headers["__connect.errors.exception.message"]
            or "Data too long" in headers["__connect.errors.exception.message"])
    assert "Traceback" in headers["__connect.errors.exception.stacktrace"] or \
        "_RecordWriteError" in headers["__connect.errors.exception.stacktrace"]
    assert db.server.password not in json.dumps(headers)
    worker.wait_for_state(name)


def running_sink_task(worker, name: str):
    """The JdbcSinkTask instance running in the worker for connector ``name`` (task.isolation=thread only)."""
    tasks = [t.task for tid, t in list(worker.connect.worker._tasks.items()) if tid.connector == name]
    return tasks[0] if tasks else None


def sink_waits_for_a_lock(db: Db) -> bool:
    if db.pg:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = "
                          "'dbconnect-jdbc-sink' AND wait_event_type = 'Lock'", (db.name,))[0][0] > 0
    return db.execute("SELECT count(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p "
                      "ON p.ID = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND p.DB = %s",
                      (db.name,))[0][0] > 0


def test_tolerant_sink_buffers_across_puts_and_the_dlq_keeps_the_bytes(db: Db, start_worker, broker, topic_name,
                                                                       caplog):
    """errors.tolerance=all buffers across puts while a write runs: with consumer.max.poll.records=2,
    nine records arrive in five puts while the first record's write waits for a row lock another
    transaction holds; they are then written as one batch, bisected, and the bad record of an
    early put, reported after the later puts, still reaches the DLQ with its own bytes."""
    # task.isolation=thread: this test waits until the task instance holds nine records in its
    # buffer (nothing outside the task shows that) before the lock is released, so it needs the
    # task in this process. The task code is the same in a task process; the user-visible part
    # (bad records reach the DLQ with their bytes and headers, the good ones are written) runs
    # with the default isolation in test_bad_records_go_to_the_dlq_with_every_header.
    worker = start_worker(**{"consumer.max.poll.records": "2", "offset.flush.interval.ms": "120000",
                             "task.isolation": "thread"})
    db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(4) NOT NULL, amount NUMERIC(10,2), "
               f"at {db.ts_type})")
    locker = db.connect(autocommit=False)
    locker.cursor().execute("INSERT INTO orders (id, name) VALUES (0, 'lock')")  # uncommitted: id 0 is locked
    broker.create_topic(topic_name)
    dlq = topic_name + "-dlq"
    broker.create_topic(dlq)
    values = [envelope(i, "too-long-name" if i == 3 else "n") for i in range(10)]
    keys = [f"k{i}".encode() for i in range(10)]
    broker.produce(topic_name, values[:1], keys=keys[:1])
    config = sink_config(db, topic_name, **{
        "pk.mode": "record_value", "pk.fields": "id", "batch.size": "10",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.context.headers.enable": "true"})
    name = f"buffered-dlq-{topic_name[-8:]}"
    with caplog.at_level("WARNING", logger="dbconnect.connectors.jdbc.sink.connector"):
        assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
        wait_until(lambda: sink_waits_for_a_lock(db), what="the first write waiting for the row lock")
        broker.produce(topic_name, values[1:], keys=keys[1:], headers=[("origin", b"early-put")])
        wait_until(lambda: len(running_sink_task(worker, name)._buffer) == 9, what="nine records buffered")
        locker.rollback()
        locker.close()
        wait_until(lambda: count(db) == 9, what="the 9 good rows")
        [dead] = broker.consume(dlq, 1, timeout=30)
    assert dead.value() == values[3] and dead.key() == b"k3"
    headers = {k: v.decode() for k, v in dead.headers()}
    assert headers["origin"] == "early-put" and headers["__connect.errors.offset"] == "3"
    assert headers["__connect.errors.stage"] == "TASK_PUT"
    # One batch of the nine records (five puts), bisected down to the bad one.
    assert any("Writing 9 record(s) failed" in r.getMessage() for r in caplog.records), \
        [r.getMessage() for r in caplog.records]
    assert db.execute("SELECT id FROM orders ORDER BY id") == [(i,) for i in range(10) if i != 3]
    worker.wait_for_state(name)


def test_json_schema_converter_input_from_confluents_serializer(postgres, worker, broker, schema_registry, topic_name):
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    target = Db("postgresql", postgres)
    schema = {
        "title": "Customer", "type": "object", "additionalProperties": False, "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer", "connect.type": "int64"}, "name": {"type": "string"},
            "score": {"type": "number"}, "vip": {"type": "boolean"},
            "since": {"type": "integer", "connect.type": "int32", "title": "org.apache.kafka.connect.data.Date"},
            "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "integer"}}},
        }}
    serializer = JSONSerializer(json.dumps(schema), SchemaRegistryClient({"url": schema_registry.url}))
    ctx = SerializationContext(topic_name, MessageField.VALUE)
    docs = [{"id": 1, "name": "Ann", "score": 9.5, "vip": True, "since": 19000, "address": {"city": "Oslo", "zip": 150}},
            {"id": 2, "name": "Bob"}]
    broker.create_topic(topic_name)
    broker.produce(topic_name, [serializer(d, ctx) for d in docs])
    config = sink_config(target, topic_name, **{
        "value.converter": "io.confluent.connect.json.JsonSchemaConverter",
        "value.converter.schema.registry.url": schema_registry.url,
        "value.converter.use.optional.for.nonrequired": "true", "pk.mode": "record_value", "pk.fields": "id",
        "insert.mode": "upsert", "table.name.format": "customers"})
    assert worker.put(f"/connectors/sr-{topic_name[-8:]}/config", json=config).status_code == 201
    wait_until(lambda: count(target, "customers") == 2, what="two customers")
    types = dict(target.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = 'customers'"))
    assert types == {"id": "bigint", "name": "text", "score": "double precision", "vip": "boolean",
                     "since": "date", "address": "jsonb"}
    assert target.execute("SELECT id, name, score, vip, since, address FROM customers ORDER BY id") == [
        (1, "Ann", 9.5, True, dt.date(2022, 1, 8), {"city": "Oslo", "zip": 150}),
        (2, "Bob", None, None, None, None)]


def test_connections_killed_mid_stream_lose_nothing(db: Db, worker, broker, topic_name):
    broker.create_topic(topic_name)
    config = sink_config(db, topic_name, **{"pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert",
                                            "batch.size": "100", "max.retries": "20"})
    name = f"resilient-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    worker.wait_for_state(name)
    total, killed = 3000, 0
    for start in range(0, total, 300):
        broker.produce(topic_name, [envelope(i) for i in range(start, start + 300)])
        if start in (600, 1500, 2400):
            wait_until(lambda: count(db) > 0, what="some rows")
            killed += kill_sink_connections(db)
    assert killed >= 1
    wait_until(lambda: count(db) == total, timeout=60, what=f"{total} rows")
    assert db.execute("SELECT count(DISTINCT id), min(id), max(id) FROM orders") == [(total, 0, total - 1)]
    assert worker.get(f"/connectors/{name}/status").json()["tasks"][0]["state"] == "RUNNING"


# -- exactly once across kill -9 ----------------------------------------------------------------------------

def _start_worker_process(tmp_path: Path, broker: Any, connector: dict[str, str], run: int) -> subprocess.Popen:
    worker_props = tmp_path / "worker.properties"
    worker_props.write_text("\n".join(f"{k}={v}" for k, v in {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
        # The first worker never commits consumer offsets before it is killed: without the offsets
        # table the restarted worker would write every row a second time. The second one commits
        # (and so flushes the last partial batch) every 2 s.
        "offset.flush.interval.ms": "600000" if run == 1 else "2000", "listeners": "http://127.0.0.1:0",
        "consumer.session.timeout.ms": "6000", "consumer.heartbeat.interval.ms": "1000",
        "consumer.max.poll.records": "200",
    }.items()) + "\n")
    connector_file = tmp_path / "sink.json"
    connector_file.write_text(json.dumps(connector))
    log = open(tmp_path / f"worker-{run}.log", "wb")  # noqa: SIM115 — closed with the process
    return subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker_props),
                             str(connector_file)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_exactly_once_survives_kill_minus_nine(kind, request, broker, tmp_path, topic_name):
    target = Db(kind, request.getfixturevalue("postgres" if kind == "postgresql" else "mariadb"))
    total = 20_000
    broker.create_topic(topic_name)
    broker.produce(topic_name, [orjson.dumps({"schema": {"type": "struct", "fields": [
        {"field": "seq", "type": "int64", "optional": False},
        {"field": "pad", "type": "string", "optional": False}]}, "payload": {"seq": i, "pad": "x" * 40}})
        for i in range(total)])
    connector = {"name": f"eos-{topic_name[-8:]}", **sink_config(target, topic_name, **{
        "insert.mode": "insert", "pk.mode": "none", "batch.size": "500", "exactly.once.enabled": "true"})}
    proc = _start_worker_process(tmp_path, broker, connector, 1)
    try:
        wait_until(lambda: count(target) >= 2000, timeout=90, interval=0.05, what="rows before the kill")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        written_at_kill = count(target)
        assert written_at_kill < total, "the worker finished before it could be killed"
        proc = _start_worker_process(tmp_path, broker, connector, 2)
        # The stored offset is committed with the rows: once it reaches the end, every write
        # (a duplicate included) has been committed.
        offsets_sql = "SELECT topic, kafka_partition, next_offset FROM dbconnect_sink_offsets WHERE connector = %s"
        try:
            wait_until(lambda: target.execute(offsets_sql + " AND next_offset >= %s", (connector["name"], total)),
                       timeout=120, what=f"the stored offset {total}")
        except AssertionError as exc:
            log = (tmp_path / "worker-2.log").read_text(errors="replace").splitlines()
            raise AssertionError(f"{exc}: {count(target)} rows, offsets {target.execute(offsets_sql, (connector['name'],))}"
                                 "; the restarted worker's log ends:\n" + "\n".join(log[-40:])) from None
        assert target.execute(offsets_sql, (connector["name"],)) == [(topic_name, 0, total)]
        assert target.execute("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM orders") == [
            (total, total, 0, total - 1)]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- the database restarts mid-stream -----------------------------------------------------------------------

def test_database_restart_mid_stream_loses_nothing(db: Db, worker, broker, topic_name):
    """The whole server goes away and comes back on the same port and data, while records flow."""
    broker.create_topic(topic_name)
    config = sink_config(db, topic_name, **{"pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert",
                                            "batch.size": "100", "max.retries": "30", "retry.backoff.ms": "500"})
    name = f"restart-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    worker.wait_for_state(name)
    total = 2000
    broker.produce(topic_name, [envelope(i) for i in range(0, 1000)])
    wait_until(lambda: count(db) > 0, what="some rows")
    pid = db.server.pid
    db.server.restart()
    assert db.server.pid != pid
    broker.produce(topic_name, [envelope(i) for i in range(1000, total)])
    wait_until(lambda: count(db) == total, timeout=90, what=f"{total} rows")
    assert db.execute("SELECT count(DISTINCT id), min(id), max(id) FROM orders") == [(total, 0, total - 1)]
    assert worker.get(f"/connectors/{name}/status").json()["tasks"][0]["state"] == "RUNNING"
