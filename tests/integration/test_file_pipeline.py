"""Seed 001 end to end: FileStreamSource → topic → FileStreamSink on a real broker."""

from __future__ import annotations

import time
from pathlib import Path

import orjson


def wait_for_lines(path: Path, count: int, timeout: float = 45.0) -> list[str]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"expected {count} lines in {path}, got {len(lines)}: {lines}")


def source_config(source: Path, topic: str) -> dict[str, str]:
    return {"name": "local-file-source", "connector.class": "FileStreamSource", "tasks.max": "1",
            "file": str(source), "topic": topic}


def sink_config(sink: Path, topic: str) -> dict[str, str]:
    return {"name": "local-file-sink", "connector.class": "FileStreamSink", "tasks.max": "1",
            "file": str(sink), "topics": topic}


def test_three_lines_then_more_then_restart_without_duplicates(start_worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    source, sink = tmp_path / "test.txt", tmp_path / "test.sink.txt"
    source.write_text("hello-1\nhello-2\nhello-3\n")
    worker = start_worker(**{"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"})
    worker.connect.add_connector("local-file-source", source_config(source, topic_name))
    # The sink is created over REST with PUT …/config, as in the walkthrough.
    response = worker.put("/connectors/local-file-sink/config", json=sink_config(sink, topic_name))
    assert response.status_code == 201, response.text
    assert wait_for_lines(sink, 3) == ["hello-1", "hello-2", "hello-3"]
    info = worker.get("/connectors/local-file-source").json()
    assert info["type"] == "source" and info["tasks"] == [{"connector": "local-file-source", "task": 0}]

    with source.open("a") as fh:
        fh.write("hello-4\nhello-5\n")
    assert wait_for_lines(sink, 5)[3:] == ["hello-4", "hello-5"]

    # Restart: stop the worker gracefully (offsets flushed), start a new one with the same files.
    worker.stop()
    with source.open("a") as fh:
        fh.write("hello-6\n")
    worker = start_worker(**{"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"})
    worker.connect.add_connector("local-file-source", source_config(source, topic_name))
    worker.connect.add_connector("local-file-sink", sink_config(sink, topic_name))
    wait_for_lines(sink, 6)
    # A marker line written after the restart: a line delivered twice would reach the sink before it.
    with source.open("a") as fh:
        fh.write("marker\n")
    lines = wait_for_lines(sink, 7)
    assert lines == [f"hello-{i}" for i in range(1, 7)] + ["marker"]
    # The topic holds every line exactly once too (counted, not trusted from end offsets).
    values = [orjson.loads(m.value()) for m in broker.consume(topic_name, 7, timeout=20)]
    assert values == [f"hello-{i}" for i in range(1, 7)] + ["marker"]


def test_source_offsets_survive_in_the_offsets_file(start_worker, tmp_path, topic_name):
    source = tmp_path / "in.txt"
    source.write_text("a\nbb\n")
    worker = start_worker()
    worker.connect.add_connector("src", {**source_config(source, topic_name), "name": "src"})
    deadline = time.monotonic() + 20
    offsets: list = []
    while time.monotonic() < deadline:
        offsets = worker.get("/connectors/src/offsets").json()["offsets"]
        if offsets and offsets[0]["offset"]["position"] == 5:
            break
        time.sleep(0.1)
    assert offsets == [{"partition": {"filename": str(source)}, "offset": {"position": 5}}]
    worker.stop()
    doc = orjson.loads((tmp_path / "connect.offsets").read_bytes())
    assert doc["offsets"] == [[["src", {"filename": str(source)}], {"position": 5}]]


def test_schemas_enabled_envelope_on_the_topic(start_worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("foo\nbar\n\n")
    worker = start_worker()
    worker.connect.add_connector("env-src", {**source_config(source, topic_name), "name": "env-src"})
    messages = broker.consume(topic_name, 3, timeout=20)
    assert [orjson.loads(m.value()) for m in messages] == [
        {"schema": {"type": "string", "optional": False}, "payload": "foo"},
        {"schema": {"type": "string", "optional": False}, "payload": "bar"},
        {"schema": {"type": "string", "optional": False}, "payload": ""},
    ]
