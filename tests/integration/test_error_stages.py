"""One error handler for every stage (issue 15 item 2), against the embedded broker and databases:
the sink side (sources: test_error_stages_source.py).

Per stage, with errors.tolerance=all the record ends in the DLQ with its bytes and the
__connect.errors.* headers; with none the task fails with a trace naming the stage, the record and
the error. A retriable put() that heals within errors.retry.timeout loses and duplicates nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .jdbc_helpers import Db
from .test_plugin_path import write_module

pytestmark = pytest.mark.integration

FLAKY_SINK = '''
from dbconnect.api import RetriableError, SinkConnector, SinkTask


class FlakySinkConnector(SinkConnector):
    def start(self, props):
        self.props = dict(props)

    def task_class(self):
        return FlakySinkTask

    def task_configs(self, max_tasks):
        return [dict(self.props)]

    def stop(self):
        pass

    def config(self):
        return {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string"}, "fail.puts": {"type": "string"}, "report.bad": {"type": "string"}}}

    def version(self):
        return "1.0"


class FlakySinkTask(SinkTask):
    """put() raises RetriableError for its first fail.puts batches (-1: always), then appends the
    values to the file; with report.bad=true a value "bad" goes to the errant record reporter."""

    def start(self, props):
        self.file, self.fail = props["file"], int(props.get("fail.puts", "0"))
        self.report_bad, self.failed = props.get("report.bad") == "true", 0

    def put(self, records):
        if not records:
            return
        if self.fail < 0 or self.failed < self.fail:
            self.failed += 1
            with open(self.file + ".attempts", "a") as f:
                f.write("%d\\n" % len(records))
            raise RetriableError("the store is briefly unavailable")
        with open(self.file, "a") as f:
            for record in records:
                if self.report_bad and record.value == "bad":
                    self.context.errant_record_reporter().report(record, ValueError("the store refused it"))
                    continue
                f.write("%s\\n" % record.value)

    def stop(self):
        pass
'''


def wait_lines(path: Path, count: int, timeout: float = 60.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return lines
        time.sleep(0.1)
    raise AssertionError(f"{path} has fewer than {count} lines: {path.read_text() if path.exists() else None}")


def headers_of(message) -> dict[str, str]:
    return {k: v.decode() for k, v in message.headers() or []}


def wait_committed(worker, name: str, predicate, timeout: float = 60.0) -> list:
    deadline = time.monotonic() + timeout
    offsets: list = []
    while time.monotonic() < deadline:
        offsets = worker.get(f"/connectors/{name}/offsets").json().get("offsets", [])
        if predicate(offsets):
            return offsets
        time.sleep(0.2)
    raise AssertionError(f"offsets of {name} never matched: {offsets}")


# -- converters ---------------------------------------------------------------------------------------------

def test_a_key_converter_failure_goes_to_a_dlq_topic_the_worker_creates(worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    dlq = topic_name + "-dlq"  # not created beforehand: the task creates it, as Kafka's does
    broker.produce(topic_name, [b'"a"', b'"b"', b'"c"'], keys=[b'"k1"', b"{not a key", b'"k3"'],
                   headers=[("origin", b"shop")])
    sink = tmp_path / "sink.txt"
    response = worker.put("/connectors/keys/config", json={
        "connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
        "key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false",
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    })
    assert response.status_code == 201, response.text
    assert wait_lines(sink, 2) == ["a", "c"]
    [dead] = broker.consume(dlq, 1, timeout=30)
    assert (dead.key(), dead.value()) == (b"{not a key", b'"b"')
    headers = headers_of(dead)
    assert headers["origin"] == "shop"
    assert headers["__connect.errors.stage"] == "KEY_CONVERTER"
    assert headers["__connect.errors.class.name"] == "dbconnect.converters.json.JsonConverter"
    assert (headers["__connect.errors.topic"], headers["__connect.errors.partition"],
            headers["__connect.errors.offset"]) == (topic_name, "0", "1")
    assert broker.topics()[dlq] == 1  # created with one partition (auto-creation would give 4)


def test_a_header_converter_failure_goes_to_the_dlq_with_its_stage(worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    dlq = topic_name + "-dlq"
    broker.produce(topic_name, [b'"plain"'], headers=[("h", b'"json"')])
    broker.produce(topic_name, [b'"odd"'], headers=[("h", b"{not json")])
    broker.produce(topic_name, [b'"last"'], headers=[("h", b"1")])
    sink = tmp_path / "sink.txt"
    assert worker.put("/connectors/hdr/config", json={
        "connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
        "value.converter.schemas.enable": "false",
        "header.converter": "org.apache.kafka.connect.json.JsonConverter", "header.converter.schemas.enable": "false",
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }).status_code == 201, "created"
    assert wait_lines(sink, 2) == ["plain", "last"]
    [dead] = broker.consume(dlq, 1, timeout=30)
    headers = headers_of(dead)
    assert dead.value() == b'"odd"' and headers["h"] == "{not json"  # the original header, as consumed
    assert headers["__connect.errors.stage"] == "HEADER_CONVERTER"
    assert headers["__connect.errors.class.name"] == "dbconnect.converters.json.JsonConverter"
    assert headers["__connect.errors.offset"] == "1"


def test_a_source_config_with_dlq_keys_is_refused(worker, tmp_path, topic_name):
    response = worker.put("/connectors/src-dlq/config", json={
        "connector.class": "FileStreamSource", "file": str(tmp_path / "in.txt"), "topic": topic_name,
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": topic_name + "-dlq",
    })
    assert response.status_code == 400, response.text
    assert "errors.deadletterqueue.topic.name applies to sink connectors only" in response.json()["message"]


# -- transformations ----------------------------------------------------------------------------------------

REFUSE_MARKED = '''
from dbconnect.api import Transformation


class RefuseMarked(Transformation):
    """Raises on records whose value contains "boom"; the others pass unchanged."""

    def apply(self, record):
        if "boom" in str(record.value):
            raise ValueError("RefuseMarked cannot transform this record")
        return record
'''


@pytest.fixture
def refusing_chain(tmp_path) -> dict[str, str]:
    """Worker settings and connector keys for a chain of one plugin.path transform that refuses
    records containing "boom" (configured through transforms.*, as a user would)."""
    plugins = tmp_path / "smt-plugins"
    module = write_module(plugins, "refuse_marked", REFUSE_MARKED)
    return {"plugin.path": str(plugins), "transforms": "refuse",
            "transforms.refuse.type": f"{module}.RefuseMarked"}


def test_a_transformation_failure_goes_to_the_dlq_with_the_transformations_class(
        refusing_chain, start_worker, broker, tmp_path, topic_name):
    worker = start_worker(**{"plugin.path": refusing_chain["plugin.path"]})
    broker.create_topic(topic_name, partitions=1)
    dlq = topic_name + "-dlq"
    broker.produce(topic_name, [b'"one"', b'"boom"', b'"two"'])
    sink = tmp_path / "sink.txt"
    assert worker.put("/connectors/smt/config", json={
        "connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
        "value.converter.schemas.enable": "false", "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
        "transforms": "refuse", "transforms.refuse.type": refusing_chain["transforms.refuse.type"],
    }).status_code == 201
    assert wait_lines(sink, 2) == ["one", "two"]
    [dead] = broker.consume(dlq, 1, timeout=30)
    headers = headers_of(dead)
    assert dead.value() == b'"boom"'
    assert headers["__connect.errors.stage"] == "TRANSFORMATION"
    assert headers["__connect.errors.class.name"].endswith("RefuseMarked")
    assert headers["__connect.errors.exception.message"] == "RefuseMarked cannot transform this record"


def test_a_transformation_failure_without_tolerance_fails_the_sink_task(
        refusing_chain, start_worker, broker, tmp_path, topic_name):
    worker = start_worker(**{"plugin.path": refusing_chain["plugin.path"]})
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [b'"one"', b'"boom"'])
    assert worker.put("/connectors/smt-none/config", json={
        "connector.class": "FileStreamSink", "file": str(tmp_path / "sink.txt"), "topics": topic_name,
        "value.converter.schemas.enable": "false",
        "transforms": "refuse", "transforms.refuse.type": refusing_chain["transforms.refuse.type"],
    }).status_code == 201
    failed = worker.wait_for_task_state("smt-none", 0, "FAILED", timeout=45)
    assert "Tolerance exceeded in error handler: executing stage 'TRANSFORMATION'" in failed["trace"]
    assert f"{{topic='{topic_name}', partition=0, offset=1, timestamp=" in failed["trace"]
    assert "RefuseMarked cannot transform this record" in failed["trace"]


# -- put() ------------------------------------------------------------------------------------------------

@pytest.fixture
def flaky_plugins(tmp_path) -> tuple[Path, str]:
    plugins = tmp_path / "plugins"
    module = write_module(plugins, "flaky_sink", FLAKY_SINK)
    return plugins, f"{module}.FlakySinkConnector"


def test_a_retriable_put_that_heals_loses_and_duplicates_nothing(flaky_plugins, start_worker, broker, tmp_path,
                                                                  topic_name):
    plugins, connector = flaky_plugins
    worker = start_worker(**{"plugin.path": str(plugins)})
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [b'"r%d"' % i for i in range(20)])
    sink = tmp_path / "sink.txt"
    assert worker.put("/connectors/flaky/config", json={
        "connector.class": connector, "file": str(sink), "topics": topic_name, "fail.puts": "3",
        "value.converter.schemas.enable": "false", "errors.retry.timeout": "60000",
    }).status_code == 201
    lines = wait_lines(sink, 20)
    attempts = (tmp_path / "sink.txt.attempts").read_text().split()
    assert len(attempts) == 3  # three failed put() calls, each redelivered after a backoff
    # A marker after the 20: once it is written, any duplicate of the first batch would be too.
    broker.produce(topic_name, [b'"marker"'])
    lines = wait_lines(sink, 21)
    assert lines == [f"r{i}" for i in range(20)] + ["marker"]
    wait_committed(worker, "flaky", lambda offsets: any(o["offset"].get("kafka_offset") == 21 for o in offsets))
    assert worker.get("/connectors/flaky/tasks/0/status").json()["state"] == "RUNNING"


def test_a_put_that_keeps_failing_fails_the_task_after_errors_retry_timeout(flaky_plugins, start_worker, broker,
                                                                            tmp_path, topic_name):
    plugins, connector = flaky_plugins
    worker = start_worker(**{"plugin.path": str(plugins)})
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [b'"r0"', b'"r1"'])
    sink = tmp_path / "sink.txt"
    assert worker.put("/connectors/stuck/config", json={
        "connector.class": connector, "file": str(sink), "topics": topic_name, "fail.puts": "-1",
        "value.converter.schemas.enable": "false", "errors.retry.timeout": "2000",
    }).status_code == 201
    failed = worker.wait_for_task_state("stuck", 0, "FAILED", timeout=60)
    assert "TASK_PUT still failing after errors.retry.timeout=2000 ms" in failed["trace"]
    assert "the store is briefly unavailable" in failed["trace"]
    assert len((tmp_path / "sink.txt.attempts").read_text().split()) >= 3  # 300 + 600 ms backoffs, then…
    assert not sink.exists()
    assert worker.get("/connectors/stuck/offsets").json() == {"offsets": []}  # nothing committed: nothing lost


def test_a_put_waiting_for_its_retry_stops_at_once_and_commits_nothing(flaky_plugins, start_worker, broker,
                                                                       tmp_path, topic_name):
    plugins, connector = flaky_plugins
    worker = start_worker(**{"plugin.path": str(plugins)})
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [b'"r0"'])
    sink = tmp_path / "sink.txt"
    assert worker.put("/connectors/waiting/config", json={
        "connector.class": connector, "file": str(sink), "topics": topic_name, "fail.puts": "-1",
        "value.converter.schemas.enable": "false", "errors.retry.timeout": "-1",
        "errors.retry.delay.max.ms": "600000",
    }).status_code == 201
    wait_lines(tmp_path / "sink.txt.attempts", 5, timeout=60)  # the next wait is 4.8 s, then 9.6 s, …
    started = time.monotonic()
    assert worker.put("/connectors/waiting/stop").status_code == 204
    worker.wait_for_state("waiting", "STOPPED", tasks=0, timeout=30)
    assert time.monotonic() - started < 9.0  # did not sit out the backoff
    assert worker.get("/connectors/waiting/offsets").json()["offsets"] == []  # the batch was never put


def test_records_a_put_reports_go_to_the_dlq_with_stage_task_put(flaky_plugins, start_worker, broker, tmp_path,
                                                                 topic_name):
    plugins, connector = flaky_plugins
    worker = start_worker(**{"plugin.path": str(plugins)})
    broker.create_topic(topic_name, partitions=1)
    dlq = topic_name + "-dlq"
    broker.produce(topic_name, [b'"ok"', b'"bad"', b'"fine"'], keys=[b"k0", b"k1", b"k2"])
    sink = tmp_path / "sink.txt"
    assert worker.put("/connectors/reporting/config", json={
        "connector.class": connector, "file": str(sink), "topics": topic_name, "report.bad": "true",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter.schemas.enable": "false", "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }).status_code == 201
    assert wait_lines(sink, 2) == ["ok", "fine"]
    [dead] = broker.consume(dlq, 1, timeout=30)
    headers = headers_of(dead)
    assert (dead.key(), dead.value()) == (b"k1", b'"bad"')
    assert headers["__connect.errors.stage"] == "TASK_PUT"
    assert headers["__connect.errors.class.name"].endswith(".FlakySinkTask")
    assert headers["__connect.errors.exception.class.name"] == "builtins.ValueError"
    assert headers["__connect.errors.offset"] == "1"


# -- the JDBC sink through the same path -------------------------------------------------------------------

@pytest.fixture
def pg(postgres) -> Db:
    return Db("postgresql", postgres)


def jdbc_sink_config(db: Db, topic: str, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
        "connection.url": db.server.jdbc_url(db.name), "connection.user": db.server.user,
        "connection.password": db.server.password, "table.name.format": "orders",
        "pk.mode": "record_value", "pk.fields": "id",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter", **extra,
    }


def order(i: int, qty: int) -> bytes:
    schema = {"type": "struct", "name": "Order", "optional": False, "fields": [
        {"field": "id", "type": "int64", "optional": False}, {"field": "qty", "type": "int32", "optional": True}]}
    import json
    return json.dumps({"schema": schema, "payload": {"id": i, "qty": qty}}).encode()


def test_jdbc_sink_without_tolerance_fails_naming_the_record_and_the_database_error(pg: Db, worker, broker,
                                                                                     topic_name):
    pg.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, qty INT CONSTRAINT qty_positive CHECK (qty >= 0))")
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [order(1, 5), order(2, 6), order(3, -1), order(4, 7)])
    assert worker.put("/connectors/jdbc-none/config", json=jdbc_sink_config(pg, topic_name)).status_code == 201
    failed = worker.wait_for_task_state("jdbc-none", 0, "FAILED", timeout=60)
    trace = failed["trace"]
    assert "executing stage 'TASK_PUT' with class 'dbconnect.connectors.jdbc.sink.connector.JdbcSinkTask'" in trace
    assert f"on the record {{topic='{topic_name}', partition=0, offset=2}}" in trace
    assert "qty_positive" in trace  # the database's own message
    assert pg.server.password not in trace
    assert pg.execute("SELECT count(*) FROM orders") == [(0,)]  # nothing of the batch written
    assert worker.get("/connectors/jdbc-none/offsets").json() == {"offsets": []}


def test_jdbc_sink_with_tolerance_sends_the_rejected_row_to_the_dlq_through_the_shared_path(
        pg: Db, worker, broker, topic_name, caplog):
    pg.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, qty INT CONSTRAINT qty_positive CHECK (qty >= 0))")
    broker.create_topic(topic_name, partitions=1)
    dlq = topic_name + "-dlq"
    broker.produce(topic_name, [order(1, 5), order(2, -6), order(3, 7)], keys=[b"1", b"2", b"3"])
    assert worker.put("/connectors/jdbc-all/config", json=jdbc_sink_config(
        pg, topic_name, **{"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
                           "errors.deadletterqueue.topic.replication.factor": "1",
                           "errors.deadletterqueue.context.headers.enable": "true"})).status_code == 201
    [dead] = broker.consume(dlq, 1, timeout=60)
    headers = headers_of(dead)
    assert (dead.key(), dead.value()) == (b"2", order(2, -6))
    assert headers["__connect.errors.stage"] == "TASK_PUT"
    assert headers["__connect.errors.class.name"] == "dbconnect.connectors.jdbc.sink.connector.JdbcSinkTask"
    assert headers["__connect.errors.offset"] == "1"
    assert "qty_positive" in headers["__connect.errors.exception.message"]
    assert pg.server.password not in "".join(headers.values())
    deadline = time.monotonic() + 30
    while pg.execute("SELECT id FROM orders ORDER BY id") != [(1,), (3,)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pg.execute("SELECT id FROM orders ORDER BY id") == [(1,), (3,)]
