"""`dbconnect standalone --log-format json` and CONNECT_LOG_FORMAT, as an operator runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import orjson

from dbconnect.embedded.ports import free_port

from .test_cli_standalone import wait_http


def write_files(tmp_path, broker, topic: str, port: int) -> tuple:
    source, sink = tmp_path / "test.txt", tmp_path / "test.sink.txt"
    source.write_text("hello-1\nhello-2\nhello-3\n")
    worker = tmp_path / "connect-standalone.properties"
    worker.write_text(f"bootstrap.servers={broker.bootstrap_servers}\n"
                      "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                      "key.converter.schemas.enable=false\nvalue.converter.schemas.enable=false\n"
                      f"offset.storage.file.filename={tmp_path / 'connect.offsets'}\n"
                      f"listeners=http://127.0.0.1:{port}\nconsumer.session.timeout.ms=6000\noffset.flush.interval.ms=1000\n")
    connector = tmp_path / "connect-file-source.properties"
    connector.write_text(f"name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\n"
                         f"file={source}\ntopic={topic}\n")
    sink_json = tmp_path / "sink.json"
    sink_json.write_text(json.dumps({"name": "local-file-sink", "config": {
        "connector.class": "FileStreamSink", "tasks.max": "1", "file": str(sink), "topics": topic}}))
    return worker, connector, sink_json, sink


def run_until_sunk(args: list[str], env: dict[str, str], sink, log_path) -> str:
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", *args], stdout=log,
                                   stderr=subprocess.STDOUT, env={**env, "PYTHONUNBUFFERED": "1"})
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (not sink.exists() or sink.read_text().count("\n") < 3):
                if process.poll() is not None:
                    break
                time.sleep(0.2)
            assert sink.exists() and sink.read_text() == "hello-1\nhello-2\nhello-3\n", log_path.read_text()[-3000:]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
    return log_path.read_text()


def test_standalone_log_format_json_writes_one_object_per_line(broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    port = free_port()
    worker, connector, sink_json, sink = write_files(tmp_path, broker, topic_name, port)
    output = run_until_sunk(["standalone", "--log-format", "json", str(worker), str(connector), str(sink_json)],
                            dict(os.environ), sink, tmp_path / "worker.log")
    entries = [orjson.loads(line) for line in output.splitlines()]  # every line is one JSON object
    assert any(e["message"] == "Kafka Connect stopped" for e in entries)
    worker_id = f"127.0.0.1:{port}"
    for name in ("local-file-source", "local-file-sink"):
        mine = [e for e in entries if e["connector"] == name]
        assert any(e["task"] == 0 and e["context"] == f"[{name}|task-0]" for e in mine), output[-3000:]
        assert any(e["task"] is None and e["context"] == f"[{name}|worker]" for e in mine), output[-3000:]
        assert all(e["worker"] == worker_id for e in mine)


def test_connect_log_format_variable_is_honoured_and_a_bad_one_refused(broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    worker, connector, sink_json, sink = write_files(tmp_path, broker, topic_name, free_port())
    output = run_until_sunk(["standalone", str(worker), str(connector), str(sink_json)],
                            {**os.environ, "CONNECT_LOG_FORMAT": "json"}, sink, tmp_path / "worker.log")
    entries = [orjson.loads(line) for line in output.splitlines()]
    assert any(e["connector"] == "local-file-sink" and e["task"] == 0 for e in entries)

    refused = subprocess.run([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker)],
                             env={**os.environ, "CONNECT_LOG_FORMAT": "xml"}, capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 1
    assert "CONNECT_LOG_FORMAT: Invalid log format 'xml': expected one of text, json" in refused.stderr
