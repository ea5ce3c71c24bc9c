"""header.converter both ways against the real broker: a plugin.path source whose records carry
headers, read back with a plain consumer; messages a plain confluent-kafka producer wrote with headers,
read by a plugin.path sink that writes down each header's schema and value. With the default
(SimpleHeaderConverter), StringConverter and JsonConverter, set on the worker or the connector."""

from __future__ import annotations

import base64
import json
import shutil
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
STRING = "org.apache.kafka.connect.storage.StringConverter"
JSON = "org.apache.kafka.connect.json.JsonConverter"


@pytest.fixture
def plugin_module(tmp_path) -> str:
    """header_plugins.py in a plugin.path directory, under a module name no other test uses."""
    directory = tmp_path / "plugins"
    directory.mkdir()
    module = f"header_plugins_{uuid.uuid4().hex[:8]}"
    shutil.copy(HERE / "header_plugins.py", directory / f"{module}.py")
    return module


def plugin_path(tmp_path) -> str:
    return str(tmp_path / "plugins")


def wait_for_lines(path: Path, count: int, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.1)
    raise AssertionError(f"expected {count} lines in {path}, got {len(lines)}: {lines}")


SOURCE_EXPECTED = {
    # header.converter (connector setting) → the bytes of record 1's headers on the wire
    None: [("trace", b"trace-1"), ("count", b"43"), ("flag", b"false"), ("tags", b'["a","b"]'),
           ("day", b"2024-05-02"), ("nothing", None)],
    STRING: [("trace", b"trace-1"), ("count", b"43"), ("flag", b"false"), ("tags", b"['a', 'b']"),
             ("day", b"2024-05-02"), ("nothing", None)],
    JSON: [("trace", b'"trace-1"'), ("count", b"43"), ("flag", b"false"), ("tags", b'["a","b"]'),
           ("day", b"19845"), ("nothing", None)],
}


@pytest.mark.parametrize("header_converter", [None, STRING, JSON], ids=["default", "string", "json"])
def test_source_record_headers_are_written_through_the_header_converter(
        start_worker, broker, tmp_path, topic_name, plugin_module, header_converter):
    worker = start_worker(**{"plugin.path": plugin_path(tmp_path)})
    config = {"connector.class": f"{plugin_module}.HeaderSourceConnector", "topic": topic_name, "count": "3",
              "value.converter": STRING}
    if header_converter:
        config["header.converter"] = header_converter
    if header_converter == JSON:
        config["header.converter.schemas.enable"] = "false"
    response = worker.put("/connectors/header-source/config", json=config)
    assert response.status_code == 201, response.text
    messages = broker.consume(topic_name, 3, timeout=60, partition=None)
    by_value = {m.value(): m for m in messages}
    assert set(by_value) == {b"v0", b"v1", b"v2"}
    assert by_value[b"v1"].headers() == SOURCE_EXPECTED[header_converter]


def test_source_headers_read_back_by_a_sink_keep_their_types(start_worker, broker, tmp_path, topic_name,
                                                             plugin_module):
    """Both ways with the default converter: what the source wrote is what the sink is given."""
    sink_file = tmp_path / "headers.jsonl"
    worker = start_worker(**{"plugin.path": plugin_path(tmp_path), "value.converter": STRING})
    response = worker.put("/connectors/header-sink/config", json={
        "connector.class": f"{plugin_module}.HeaderRecordingSinkConnector", "topics": topic_name,
        "file": str(sink_file)})
    assert response.status_code == 201, response.text
    response = worker.put("/connectors/header-source/config", json={
        "connector.class": f"{plugin_module}.HeaderSourceConnector", "topic": topic_name, "count": "2"})
    assert response.status_code == 201, response.text
    lines = sorted(wait_for_lines(sink_file, 2), key=lambda line: line["value"])
    assert [line["value"] for line in lines] == ["v0", "v1"]
    # SimpleHeaderConverter infers the smallest type: the INT32 43 comes back as INT8 43, as in Kafka.
    assert lines[1]["headers"] == [
        ["trace", "STRING", None, "trace-1"], ["count", "INT8", None, 43], ["flag", "BOOLEAN", None, False],
        ["tags", "ARRAY", None, ["a", "b"]], ["day", "INT32", "org.apache.kafka.connect.data.Date", "2024-05-02"],
        ["nothing", None, None, None]]


PRODUCED = [("trace", b"abc"), ("count", b"42"), ("flag", b"true"), ("when", b"2024-05-01"),
            ("list", b"[1,2,300]"), ("raw", b"\xff\xfe"), ("nothing", None)]


def test_sink_headers_default_simple_header_converter(start_worker, broker, tmp_path, topic_name, plugin_module):
    broker.create_topic(topic_name)
    broker.produce(topic_name, [b"first"], headers=PRODUCED)
    sink_file = tmp_path / "headers.jsonl"
    worker = start_worker(**{"plugin.path": plugin_path(tmp_path)})
    response = worker.put("/connectors/header-sink/config", json={
        "connector.class": f"{plugin_module}.HeaderRecordingSinkConnector", "topics": topic_name,
        "file": str(sink_file), "value.converter": STRING})
    assert response.status_code == 201, response.text
    [line] = wait_for_lines(sink_file, 1)
    assert line == {"value": "first", "headers": [
        ["trace", "STRING", None, "abc"], ["count", "INT8", None, 42], ["flag", "BOOLEAN", None, True],
        ["when", "INT32", "org.apache.kafka.connect.data.Date", "2024-05-01"], ["list", "ARRAY", None, [1, 2, 300]],
        ["raw", "BYTES", None, {"base64": base64.b64encode(b"\xff\xfe").decode()}], ["nothing", None, None, None]]}


def test_sink_headers_string_converter_on_the_worker(start_worker, broker, tmp_path, topic_name, plugin_module):
    broker.create_topic(topic_name)
    broker.produce(topic_name, [b"first"], headers=PRODUCED[:3] + PRODUCED[-1:])
    sink_file = tmp_path / "headers.jsonl"
    worker = start_worker(**{"plugin.path": plugin_path(tmp_path), "header.converter": STRING,
                             "value.converter": STRING})
    response = worker.put("/connectors/header-sink/config", json={
        "connector.class": f"{plugin_module}.HeaderRecordingSinkConnector", "topics": topic_name,
        "file": str(sink_file)})
    assert response.status_code == 201, response.text
    [line] = wait_for_lines(sink_file, 1)
    assert line["headers"] == [["trace", "STRING", None, "abc"], ["count", "STRING", None, "42"],
                               ["flag", "STRING", None, "true"], ["nothing", "STRING", None, None]]


def test_sink_headers_json_converter_failures_go_to_the_error_handler(start_worker, broker, tmp_path, topic_name,
                                                                       plugin_module):
    """JsonConverter reads JSON headers; a header that is no JSON is a HEADER_CONVERTER failure: with
    errors.tolerance=all the record is skipped (the next one is the signal it would have arrived by)."""
    broker.create_topic(topic_name)
    broker.produce(topic_name, [b"good"], headers=[("count", b"42"), ("doc", b'{"a":[1,2]}')])
    broker.produce(topic_name, [b"bad"], headers=[("trace", b"abc")])
    broker.produce(topic_name, [b"marker"], headers=[("n", b"null")])
    sink_file = tmp_path / "headers.jsonl"
    worker = start_worker(**{"plugin.path": plugin_path(tmp_path)})
    response = worker.put("/connectors/header-sink/config", json={
        "connector.class": f"{plugin_module}.HeaderRecordingSinkConnector", "topics": topic_name,
        "file": str(sink_file), "value.converter": STRING, "header.converter": JSON,
        "header.converter.schemas.enable": "false", "errors.tolerance": "all"})
    assert response.status_code == 201, response.text
    lines = wait_for_lines(sink_file, 2)
    assert [line["value"] for line in lines] == ["good", "marker"]
    assert lines[0]["headers"] == [["count", None, None, 42], ["doc", None, None, {"a": [1, 2]}]]
    # Without tolerance the task fails on the bad header, naming the stage.
    other = tmp_path / "strict.jsonl"
    response = worker.put("/connectors/strict-sink/config", json={
        "connector.class": f"{plugin_module}.HeaderRecordingSinkConnector", "topics": topic_name,
        "file": str(other), "value.converter": STRING, "header.converter": JSON,
        "header.converter.schemas.enable": "false"})
    assert response.status_code == 201, response.text
    status = worker.wait_for_task_state("strict-sink", 0, "FAILED", timeout=60)
    assert "HEADER_CONVERTER" in status["trace"]


def test_a_converter_that_is_no_header_converter_is_refused(start_worker, tmp_path, plugin_module):
    worker = start_worker(**{"plugin.path": plugin_path(tmp_path)})
    config = {"connector.class": f"{plugin_module}.HeaderSourceConnector", "topic": "t",
              "header.converter": "io.confluent.connect.json.JsonSchemaConverter"}
    response = worker.put("/connectors/bad/config", json=config)
    assert response.status_code == 400, response.text
    assert "header.converter" in response.json()["message"]
    assert "not a HeaderConverter" in response.json()["message"]
    response = worker.put("/connector-plugins/HeaderSourceConnector/config/validate",
                          json={**config, "connector.class": f"{plugin_module}.HeaderSourceConnector"})
    assert response.status_code == 200
    errors = {c["value"]["name"]: c["value"]["errors"] for c in response.json()["configs"] if c["value"]["errors"]}
    assert "not a HeaderConverter" in errors["header.converter"][0], errors
