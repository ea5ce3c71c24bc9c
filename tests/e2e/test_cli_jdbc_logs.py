"""The log of `dbconnect standalone` running the repository's JDBC connector files (examples/connectors/)
in process isolation, as an operator reads it: text, `--log-format json` and CONNECT_LOG_FORMAT=json.
Every line a task emits (the JDBC connectors', librdkafka's, the task process's start and stop)
carries Kafka's `[name|task-0]` context; json lines all parse; the connection password never shows."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from dbconnect.embedded.ports import free_port
from tests.integration.jdbc_helpers import Db

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("shop-source", "replica-sink")
# A line of TEXT_FORMAT: [time] LEVEL [context] message (logger:line)
TEXT_LINE = re.compile(r"^\[(?P<time>[^]]+)\] (?P<level>[A-Z]+) (?P<context>\[[^]]+\] )?(?P<rest>.*)$")


def connector_file(tmp_path: Path, example: str, db: Db, registry_url: str, prefix: str) -> Path:
    """The example file with the embedded database's address and password (as the demo does)."""
    body = json.loads((ROOT / "examples" / "connectors" / example).read_text())
    config = body["config"]
    config.update({"connection.url": db.server.jdbc_url(db.name), "connection.user": db.server.user,
                   "connection.password": db.server.password,
                   "key.converter.schema.registry.url": registry_url,
                   "value.converter.schema.registry.url": registry_url})
    if "topic.prefix" in config:
        config["topic.prefix"] = prefix
    else:
        config["topics"] = ",".join(prefix + t for t in config["topics"].split(","))
    path = tmp_path / example
    path.write_text(json.dumps(body))
    return path


@pytest.fixture
def shop(postgres, tmp_path) -> tuple[Db, Db]:
    shop, replica = Db("postgresql", postgres), Db("postgresql", postgres)
    subprocess.run([sys.executable, "-m", "dbconnect.cli", "migrate", "--url", postgres.jdbc_url(shop.name),
                    "--user", postgres.user, "--dir", str(ROOT / "migrations" / "postgresql")],
                   env={**os.environ, "DBCONNECT_MIGRATE_PASSWORD": postgres.password}, check=True,
                   capture_output=True, timeout=120)
    for i in range(3):
        shop.execute("INSERT INTO customers (name, email, signup_date) VALUES (%s, %s, '2024-01-01')",
                     (f"c{i}", f"c{i}@example.com"))
    return shop, replica


def run(args: list[str], env: dict[str, str], replica: Db, tmp_path: Path, prefix: str, log_name: str) -> str:
    log_path = tmp_path / log_name
    table = f'"{prefix}customers"'
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "--log-level", "DEBUG", *args],
                                   stdout=log, stderr=subprocess.STDOUT, env={**env, "PYTHONUNBUFFERED": "1"})
        try:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                try:
                    if replica.execute(f"SELECT count(*) FROM {table}")[0][0] == 3:
                        break
                except Exception:  # the sink has not created it yet
                    pass
                time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=90) == 0, log_path.read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
    return log_path.read_text()


def worker_file(tmp_path: Path, broker, port: int) -> Path:
    path = tmp_path / "worker.properties"
    path.write_text(f"bootstrap.servers={broker.bootstrap_servers}\n"
                    f"offset.storage.file.filename={tmp_path / 'connect.offsets'}\n"
                    "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                    "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                    f"listeners=http://127.0.0.1:{port}\nconsumer.session.timeout.ms=6000\n"
                    "offset.flush.interval.ms=1000\n"
                    # librdkafka logs through the tasks' clients (confluent-kafka's logger) at DEBUG.
                    "producer.debug=msg\nconsumer.debug=cgrp\n")
    return path


def check_json(output: str, password: str, port: int) -> list[dict]:
    lines = output.splitlines()
    entries = []
    for line in lines:
        try:
            entries.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    assert password not in output
    for name in NAMES:
        mine = [e for e in entries if e["connector"] == name and e["task"] == 0]
        assert mine and all(e["context"] in (f"[{name}|task-0]", f"[{name}|task-0|offsets]") for e in mine)
        loggers = {e["logger"] for e in mine}
        assert any(lg.startswith("dbconnect.connectors.jdbc") for lg in loggers), sorted(loggers)
        assert "librdkafka" in loggers, sorted(loggers)
        # The task process's start and stop, logged by the worker on the task's behalf.
        assert any(re.match(rf"Task {name}-0 runs in process \d+", e["message"]) for e in mine), sorted(
            e["message"] for e in mine)[:40]
        # ... and its stop at SIGTERM (Kafka's Worker: "Stopping task X-0"), and its process's end.
        assert any(e["message"] == f"Stopping task {name}-0" for e in mine), sorted(e["message"] for e in mine)[-20:]
        assert any(re.match(rf"The process of task {name}-0 \(pid \d+\) ended", e["message"]) for e in mine)
    # Lines only a task emits: the JDBC connectors' task classes and the task clients' librdkafka.
    task_only = [e for e in entries if e["logger"] == "librdkafka"
                 or re.match(r"dbconnect\.connectors\.jdbc\..*(source_task|sink_task|writer|querier)", e["logger"])]
    assert task_only
    assert [e for e in task_only if e["task"] is None] == []
    assert all(e["worker"] == f"127.0.0.1:{port}" for e in entries[-10:])
    return entries


def test_jdbc_pipeline_json_log_lines_carry_the_task_context_and_no_password(
        broker, schema_registry, shop, tmp_path, topic_name):
    db, replica = shop
    prefix = f"{topic_name[-8:]}-"
    port = free_port()
    files = [str(connector_file(tmp_path, example, d, schema_registry.url, prefix))
             for example, d in (("replica-postgresql-sink.json", replica), ("shop-source.json", db))]
    output = run(["standalone", "--log-format", "json", str(worker_file(tmp_path, broker, port)), *files],
                 dict(os.environ), replica, tmp_path, prefix, "flag.log")
    check_json(output, db.server.password, port)


def test_jdbc_pipeline_connect_log_format_json_and_the_text_format(broker, schema_registry, shop, tmp_path, topic_name):
    db, replica = shop
    prefix = f"{topic_name[-8:]}-"
    port = free_port()
    files = [str(connector_file(tmp_path, example, d, schema_registry.url, prefix))
             for example, d in (("replica-postgresql-sink.json", replica), ("shop-source.json", db))]
    worker = worker_file(tmp_path, broker, port)
    output = run(["standalone", str(worker), *files], {**os.environ, "CONNECT_LOG_FORMAT": "json"},
                 replica, tmp_path, prefix, "env.log")
    check_json(output, db.server.password, port)

    replica.execute(f'DROP TABLE "{prefix}customers"')
    (tmp_path / "connect.offsets").unlink()
    output = run(["standalone", str(worker), *files], dict(os.environ), replica, tmp_path, prefix, "text.log")
    assert db.server.password not in output
    lines = [TEXT_LINE.match(line) for line in output.splitlines() if line.startswith("[")]
    assert all(lines)
    for name in NAMES:
        mine = [m for m in lines if m["context"] in (f"[{name}|task-0] ", f"[{name}|task-0|offsets] ")]
        assert any(m["rest"].endswith(")") and "(librdkafka:" in m["rest"] for m in mine)
        assert any(re.search(r"\(dbconnect\.connectors\.jdbc\.", m["rest"]) for m in mine)
    untagged = [m.group(0) for m in lines if m["context"] is None and (
        "(librdkafka:" in m["rest"] or re.search(r"\(dbconnect\.connectors\.jdbc\.[^:]*(source_task|sink_task|writer|querier)",
                                                 m["rest"]))]
    assert untagged == [], untagged[:10]


def test_a_killed_task_process_is_logged_in_its_task_context(broker, schema_registry, shop, tmp_path, topic_name):
    """kill -9 of a task process (and of the connector's): the worker's line saying so is the task's
    (the connector's), as the operator greps for it."""
    db, replica = shop
    prefix = f"{topic_name[-8:]}-"
    port = free_port()
    files = [str(connector_file(tmp_path, "shop-source.json", db, schema_registry.url, prefix))]
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", "--log-format", "json",
                                    str(worker_file(tmp_path, broker, port)), *files],
                                   stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            def entries() -> list[dict]:
                return [orjson.loads(line) for line in log_path.read_text().splitlines()]

            def find(pattern: str) -> dict | None:
                return next((e for e in entries() if re.match(pattern, e["message"])), None)

            deadline = time.monotonic() + 60
            while (started := find(r"Task shop-source-0 runs in process \d+")) is None:
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
            pid = int(started["message"].rsplit(" ", 1)[1])
            os.kill(pid, signal.SIGKILL)
            while (killed := find(rf"The process of task shop-source-0 \(pid {pid}\)")) is None:
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
            assert killed["context"] == "[shop-source|task-0]" and killed["task"] == 0, killed
            assert "killed" in killed["message"] and killed["level"] == "ERROR"
            # The connector's own process ([name|worker]), likewise.
            connector = find(r"Connector shop-source runs in process \d+")
            assert connector is not None
            pid = int(connector["message"].rsplit(" ", 1)[1])
            os.kill(pid, signal.SIGKILL)
            while (killed := find(rf"The process of connector shop-source \(pid {pid}\)")) is None:
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
            assert killed["context"] == "[shop-source|worker]" and killed["task"] is None, killed
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=90) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert db.server.password not in log_path.read_text()
