"""Converter failures in sink tasks: tolerance none fails the task, tolerance all routes to the DLQ."""

from __future__ import annotations

import time

import orjson


def wait_file(path, count, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{path} has fewer than {count} lines")


def test_bad_records_go_to_the_dead_letter_queue_with_context_headers(worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    dlq = topic_name + "-dlq"
    broker.create_topic(dlq, partitions=1)
    broker.produce(topic_name, [b'"good-1"', b"{not json", b'"good-2"'], keys=[b"k1", b"k2", b"k3"])
    sink = tmp_path / "sink.txt"
    response = worker.put("/connectors/tolerant/config", json={
        "connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
        "value.converter.schemas.enable": "false", "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "errors.tolerance": "all", "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.context.headers.enable": "true",
    })
    assert response.status_code == 201, response.text
    assert wait_file(sink, 2) == "good-1\ngood-2\n"
    [dead] = broker.consume(dlq, 1, timeout=30)
    assert dead.value() == b"{not json" and dead.key() == b"k2"
    headers = {k: v.decode() for k, v in dead.headers()}
    assert headers["__connect.errors.topic"] == topic_name
    assert headers["__connect.errors.partition"] == "0"
    assert headers["__connect.errors.offset"] == "1"
    assert headers["__connect.errors.connector.name"] == "tolerant"
    assert headers["__connect.errors.task.id"] == "0"
    assert headers["__connect.errors.stage"] == "VALUE_CONVERTER"
    assert headers["__connect.errors.class.name"] == "dbconnect.converters.json.JsonConverter"
    assert headers["__connect.errors.exception.class.name"].endswith("DataError")
    assert "Converting byte[] to Kafka Connect data failed" in headers["__connect.errors.exception.message"]
    assert "Traceback" in headers["__connect.errors.exception.stacktrace"]
    worker.wait_for_state("tolerant")


def test_without_tolerance_the_task_fails_and_commits_nothing(worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [b'"fine"', b"{not json"])
    sink = tmp_path / "sink.txt"
    response = worker.put("/connectors/strict/config", json={
        "connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
        "value.converter.schemas.enable": "false",
    })
    assert response.status_code == 201
    failed = worker.wait_for_task_state("strict", 0, "FAILED", timeout=45)
    assert "Tolerance exceeded in error handler" in failed["trace"]
    assert "Converting byte[] to Kafka Connect data failed" in failed["trace"]
    # The failed batch's offsets were not committed: nothing is lost on restart.
    assert worker.get("/connectors/strict/offsets").json() == {"offsets": []}


def test_schemaless_json_with_schemas_enabled_reports_kafkas_message(worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [orjson.dumps({"plain": "json"})])
    response = worker.put("/connectors/envelope/config", json={
        "connector.class": "FileStreamSink", "file": str(tmp_path / "s.txt"), "topics": topic_name,
    })
    assert response.status_code == 201
    failed = worker.wait_for_task_state("envelope", 0, "FAILED", timeout=45)
    assert ('JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain '
            "additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false "
            "in your converter configuration.") in failed["trace"]
