"""One error handler for every stage (issue 15 item 2), source side: a transformation's, a converter's
and the producer's failures are logged and skipped with their offsets committed under
errors.tolerance=all, or fail the task under none; a retriable poll() is polled again after a
backoff, bounded by a positive errors.retry.timeout. (The sink side: test_error_stages.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_error_stages import refusing_chain, wait_committed  # noqa: F401 (refusing_chain: a fixture)
from .test_plugin_path import write_module

pytestmark = pytest.mark.integration

FLAKY_SOURCE = '''
import threading

from dbconnect.api import RetriableError, Schema, SourceConnector, SourceRecord, SourceTask


class FlakySourceConnector(SourceConnector):
    def start(self, props):
        self.props = dict(props)

    def task_class(self):
        return FlakySourceTask

    def task_configs(self, max_tasks):
        return [dict(self.props)]

    def stop(self):
        pass

    def config(self):
        return {"type": "object", "required": ["topic"], "properties": {
            "topic": {"type": "string"}, "fail.polls": {"type": "string"}, "count.file": {"type": "string"}}}

    def version(self):
        return "1.0"


class FlakySourceTask(SourceTask):
    """poll() raises RetriableError fail.polls times (-1: always), then returns three records once."""

    def start(self, props):
        self.topic, self.fail, self.count_file = props["topic"], int(props["fail.polls"]), props["count.file"]
        self.failed, self.sent, self.stopped = 0, False, threading.Event()

    def poll(self):
        if self.fail < 0 or self.failed < self.fail:
            self.failed += 1
            with open(self.count_file, "a") as f:
                f.write("x\\n")
            raise RetriableError("the source table is locked")
        if self.sent:
            self.stopped.wait(0.5)
            return []
        self.sent = True
        return [SourceRecord({"t": "x"}, {"n": i}, self.topic, "v%d" % i, Schema.STRING_SCHEMA) for i in range(3)]

    def stop(self):
        self.stopped.set()
'''


PICKY_CONVERTER = '''
from dbconnect.api import DataError, RetriableError, Schema
from dbconnect.api.converter import Converter

FLAKY_LEFT = [2]


class PickyConverter(Converter):
    """Strings both ways; "boom" cannot be converted (DataError), "flaky" fails twice with a
    RetriableError before it converts (a registry that comes back)."""

    def _check(self, text):
        if text == "boom":
            raise DataError("PickyConverter refuses boom")
        if text == "flaky" and FLAKY_LEFT[0]:
            FLAKY_LEFT[0] -= 1
            raise RetriableError("PickyConverter's registry is unreachable")

    def from_connect_data(self, topic, schema, value, headers=None):
        if value is None:
            return None
        self._check(value)
        return value.encode()

    def to_connect_data(self, topic, value, headers=None):
        if value is None:
            return None, None
        self._check(value.decode())
        return Schema.STRING_SCHEMA, value.decode()
'''


# -- transformations --------------------------------------------------------------------------------

def test_a_source_transformation_failure_is_skipped_and_its_offset_committed(
        refusing_chain, start_worker, broker, tmp_path, topic_name):
    worker = start_worker(**{"plugin.path": refusing_chain["plugin.path"]})
    broker.create_topic(topic_name, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("first\nboom\nlast\n")
    assert worker.put("/connectors/src-smt/config", json={
        "connector.class": "FileStreamSource", "file": str(source), "topic": topic_name,
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "errors.tolerance": "all", "errors.log.enable": "true",
        "transforms": "refuse", "transforms.refuse.type": refusing_chain["transforms.refuse.type"],
    }).status_code == 201
    broker.consume(topic_name, 1, timeout=45)
    # Tansu's high watermark lags after a multi-record batch: a later record of its own lets the
    # consumer see everything before it.
    with source.open("a") as f:
        f.write("marker\n")
    assert [m.value() for m in broker.consume(topic_name, 3, timeout=45)] == [b"first", b"last", b"marker"]
    end = len(source.read_bytes())  # the file source's offset is a byte position
    wait_committed(worker, "src-smt", lambda offsets: any(o["offset"].get("position") == end for o in offsets))


# -- producer failures in sources ------------------------------------------------------------------------------

def big_line_source(tmp_path: Path, topic: str, **extra: str) -> tuple[Path, dict[str, str]]:
    source = tmp_path / "in.txt"
    source.write_text("small-1\n" + "x" * 5000 + "\nsmall-2\n")
    return source, {
        "connector.class": "FileStreamSource", "file": str(source), "topic": topic,
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "producer.override.message.max.bytes": "2000", **extra,
    }


def test_a_record_the_producer_refuses_is_logged_and_skipped_with_tolerance_all(worker, broker, tmp_path,
                                                                                topic_name):
    broker.create_topic(topic_name, partitions=1)
    source, config = big_line_source(tmp_path, topic_name, **{"errors.tolerance": "all", "errors.log.enable": "true"})
    assert worker.put("/connectors/big-all/config", json=config).status_code == 201
    assert [m.value() for m in broker.consume(topic_name, 2, timeout=45)] == [b"small-1", b"small-2"]
    # The skipped record's offset advanced with the others: a restart does not send it again.
    end = len(source.read_bytes())  # the file source's offset is a byte position
    wait_committed(worker, "big-all", lambda offsets: any(o["offset"].get("position") == end for o in offsets))
    assert worker.get("/connectors/big-all/tasks/0/status").json()["state"] == "RUNNING"


def test_a_record_the_producer_refuses_fails_the_source_task_without_tolerance(worker, broker, tmp_path,
                                                                               topic_name):
    broker.create_topic(topic_name, partitions=1)
    _, config = big_line_source(tmp_path, topic_name)
    assert worker.put("/connectors/big-none/config", json=config).status_code == 201
    failed = worker.wait_for_task_state("big-none", 0, "FAILED", timeout=45)
    assert "Tolerance exceeded in error handler: executing stage 'KAFKA_PRODUCE'" in failed["trace"]
    assert "too large" in failed["trace"].lower()


# -- poll() ------------------------------------------------------------------------------------------------

@pytest.fixture
def flaky_source(tmp_path) -> tuple[Path, str]:
    plugins = tmp_path / "plugins"
    module = write_module(plugins, "flaky_source", FLAKY_SOURCE)
    return plugins, f"{module}.FlakySourceConnector"


def test_a_retriable_poll_is_called_again_after_a_backoff(flaky_source, start_worker, broker, tmp_path, topic_name):
    plugins, connector = flaky_source
    worker = start_worker(**{"plugin.path": str(plugins)})
    broker.create_topic(topic_name, partitions=1)
    count = tmp_path / "polls.txt"
    assert worker.put("/connectors/poll-heals/config", json={
        "connector.class": connector, "topic": topic_name, "fail.polls": "3", "count.file": str(count),
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    }).status_code == 201
    assert [m.value() for m in broker.consume(topic_name, 1, timeout=45)] == [b"v0"]
    assert len(count.read_text().split()) == 3
    assert worker.get("/connectors/poll-heals/tasks/0/status").json()["state"] == "RUNNING"


def test_a_poll_that_keeps_failing_fails_the_task_after_errors_retry_timeout(flaky_source, start_worker, tmp_path,
                                                                             topic_name):
    plugins, connector = flaky_source
    worker = start_worker(**{"plugin.path": str(plugins)})
    assert worker.put("/connectors/poll-stuck/config", json={
        "connector.class": connector, "topic": topic_name, "fail.polls": "-1", "count.file": str(tmp_path / "p"),
        "errors.retry.timeout": "1500",
    }).status_code == 201
    failed = worker.wait_for_task_state("poll-stuck", 0, "FAILED", timeout=45)
    assert "TASK_POLL still failing after errors.retry.timeout=1500 ms" in failed["trace"]
    assert "the source table is locked" in failed["trace"]


# -- a third-party converter, Connect data → bytes (sources) ---------------------------------------------------

@pytest.fixture
def picky_converter(tmp_path) -> tuple[Path, str]:
    plugins = tmp_path / "plugins"
    module = write_module(plugins, "picky_converter", PICKY_CONVERTER)
    return plugins, f"{module}.PickyConverter"


def test_a_source_converter_failure_is_retried_then_logged_and_skipped(picky_converter, start_worker, broker,
                                                                       tmp_path, topic_name):
    plugins, converter = picky_converter
    worker = start_worker(**{"plugin.path": str(plugins)})
    broker.create_topic(topic_name, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("first\nflaky\nboom\nlast\n")
    assert worker.put("/connectors/src-conv/config", json={
        "connector.class": "FileStreamSource", "file": str(source), "topic": topic_name,
        "value.converter": converter, "errors.tolerance": "all", "errors.log.enable": "true",
        "errors.retry.timeout": "30000",
    }).status_code == 201
    broker.consume(topic_name, 1, timeout=45)
    with source.open("a") as f:  # a record of its own after the batch (Tansu's high watermark)
        f.write("marker\n")
    assert [m.value() for m in broker.consume(topic_name, 4, timeout=45)] == [b"first", b"flaky", b"last", b"marker"]
    end = len(source.read_bytes())
    wait_committed(worker, "src-conv", lambda offsets: any(o["offset"].get("position") == end for o in offsets))


def test_a_source_converter_failure_without_tolerance_fails_the_task(picky_converter, start_worker, broker,
                                                                     tmp_path, topic_name):
    plugins, converter = picky_converter
    worker = start_worker(**{"plugin.path": str(plugins)})
    broker.create_topic(topic_name, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("first\nboom\n")
    assert worker.put("/connectors/src-conv-none/config", json={
        "connector.class": "FileStreamSource", "file": str(source), "topic": topic_name,
        "value.converter": converter,
    }).status_code == 201
    failed = worker.wait_for_task_state("src-conv-none", 0, "FAILED", timeout=45)
    assert "Tolerance exceeded in error handler: executing stage 'VALUE_CONVERTER'" in failed["trace"]
    assert "PickyConverter refuses boom" in failed["trace"]
    assert "on a source record for topic" in failed["trace"]
