"""Sinks created before their topics exist, and sinks that go through reconfigure/restart/pause/stop.

Users (seed 002, most compose demos) create the sink first and the source second, so the
sink's topic does not exist yet: the sink must stay RUNNING and consume the topic from the
start once it appears. Every test here starts that way, with nothing pre-created.

Test-broker workaround (Tansu only, see tools/repro_tansu_leave_during_join.py): a consumer
that leaves its group while its JoinGroup is still pending stays the group's leader forever on
Tansu, so a task instance stopped within ~3 s of subscribing to an existing topic leaves the next
instance unassigned. The runtime closes the old consumer (LeaveGroup) before the new instance
subscribes; Apache Kafka honours that. So after each lifecycle operation these tests wait for a
record to arrive (the join completed) before the next one. PUTs in a row before the topic
exists need no such wait: the consumer does not join a group while none of its topics exists.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from dbconnect.embedded import EmbeddedBroker

from .jdbc_helpers import Db, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PLAIN_JSON = {"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"}
MISSING_TOPIC_LOG = "Unknown topic or partition"


def sink_config(path: Path, **topics: str) -> dict[str, str]:
    """A FileStreamSink; ``topics=...`` or ``topics_regex=...``."""
    config = {"connector.class": "FileStreamSink", "tasks.max": "1", "file": str(path)}
    config.update({k.replace("_", "."): v for k, v in topics.items()})
    return config


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for_lines(path: Path, count: int, timeout: float = 45.0) -> list[str]:
    return wait_until(lambda: len(lines(path)) >= count and lines(path), timeout=timeout, interval=0.1,
                      what=f"{count} lines in {path.name} (have {lines(path)})")


def task_state(worker: Any, name: str) -> dict:
    return worker.get(f"/connectors/{name}/status").json()["tasks"][0]


def wait_until_topic_reported_missing(worker: Any, name: str, caplog: Any, reports: int = 1) -> None:
    """Until the sink's consumer has looked for its topic and been told it does not exist.

    Without this, a source created right after the sink could create the topic before the
    sink's first metadata request, and the test would not replay the user's sequence.
    Each task instance reports it once (then rate-limited), so after the n-th instance started
    this waits for n reports. (Before this fix the report failed the task, which ends the wait too.)
    """
    def reported() -> bool:
        if task_state(worker, name)["state"] == "FAILED":
            return True
        return sum(MISSING_TOPIC_LOG in r.getMessage() and f"Task {name}-0" in r.getMessage()
                   for r in caplog.records) >= reports

    wait_until(reported, timeout=20, interval=0.05, what=f"{name} to look for its missing topic")


def produce_json(broker: Any, topic: str, values: list[str]) -> None:
    broker.produce(topic, [orjson.dumps(v) for v in values])


def expect_running(worker: Any, name: str) -> None:
    state = task_state(worker, name)
    assert state["state"] == "RUNNING", state.get("trace", state)


# -- FileStreamSink before FileStreamSource ----------------------------------------------------------


def test_file_sink_created_before_its_topic_receives_every_line_of_the_later_source(
        start_worker, tmp_path, topic_name, caplog):
    caplog.set_level(logging.WARNING, logger="dbconnect.runtime.sink_task")
    worker = start_worker(**PLAIN_JSON)
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    source_file.write_text("".join(f"line-{i}\n" for i in range(1, 21)))
    assert worker.put("/connectors/sink/config", json=sink_config(sink_file, topics=topic_name)).status_code == 201
    wait_until_topic_reported_missing(worker, "sink", caplog)
    expect_running(worker, "sink")
    source = {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(source_file), "topic": topic_name}
    assert worker.put("/connectors/source/config", json=source).status_code == 201

    got = wait_for_lines(sink_file, 20)
    # The topic was auto-created by the source's producer (several partitions on the test broker),
    # so lines keep their order only per partition.
    assert sorted(got) == sorted(f"line-{i}" for i in range(1, 21))
    # FAILED is final until someone restarts the task, and nobody did: RUNNING now means never FAILED.
    expect_running(worker, "sink")
    with source_file.open("a") as fh:
        fh.write("line-21\n")
    assert "line-21" in wait_for_lines(sink_file, 21)


# -- PUT twice in a row ----------------------------------------------------------------------------------


def test_sink_config_put_twice_in_a_row_then_changed_keeps_receiving(start_worker, broker, tmp_path, topic_name, caplog):
    caplog.set_level(logging.WARNING, logger="dbconnect.runtime.sink_task")
    worker = start_worker(**PLAIN_JSON)
    typo, fixed = tmp_path / "ouput.txt", tmp_path / "output.txt"
    assert worker.put("/connectors/sink/config", json=sink_config(typo, topics=topic_name)).status_code == 201
    wait_until_topic_reported_missing(worker, "sink", caplog, reports=1)
    # The same config again, then the typo fixed: three task instances, each one replaced as
    # soon as it has looked for the topic once.
    assert worker.put("/connectors/sink/config", json=sink_config(typo, topics=topic_name)).status_code == 200
    wait_until_topic_reported_missing(worker, "sink", caplog, reports=2)
    assert worker.put("/connectors/sink/config", json=sink_config(fixed, topics=topic_name)).status_code == 200
    wait_until_topic_reported_missing(worker, "sink", caplog, reports=3)
    produce_json(broker, topic_name, ["a", "b", "c"])
    assert wait_for_lines(fixed, 3) == ["a", "b", "c"]
    expect_running(worker, "sink")

    # Now consuming: the same PUT again, and a changed one (see the module docstring for the wait).
    assert worker.put("/connectors/sink/config", json=sink_config(fixed, topics=topic_name)).status_code == 200
    produce_json(broker, topic_name, ["d"])
    assert wait_for_lines(fixed, 4) == ["a", "b", "c", "d"]
    changed = {**sink_config(fixed, topics=topic_name), "consumer.override.max.poll.records": "100"}
    assert worker.put("/connectors/sink/config", json=changed).status_code == 200
    produce_json(broker, topic_name, ["e"])
    # In order, once each: offsets were committed before each instance stopped.
    assert wait_for_lines(fixed, 5) == ["a", "b", "c", "d", "e"]
    expect_running(worker, "sink")


# -- restart / pause / stop ------------------------------------------------------------------------------


def test_sink_keeps_receiving_across_task_restart_connector_restart_pause_and_stop(
        start_worker, broker, tmp_path, topic_name, caplog):
    caplog.set_level(logging.WARNING, logger="dbconnect.runtime.sink_task")
    worker = start_worker(**PLAIN_JSON)
    out = tmp_path / "out.txt"
    assert worker.put("/connectors/sink/config", json=sink_config(out, topics=topic_name)).status_code == 201
    wait_until_topic_reported_missing(worker, "sink", caplog)
    produce_json(broker, topic_name, ["v1"])
    wait_for_lines(out, 1)

    assert worker.post("/connectors/sink/tasks/0/restart").status_code == 204
    produce_json(broker, topic_name, ["v2"])
    wait_for_lines(out, 2)

    response = worker.post("/connectors/sink/restart?includeTasks=true")
    assert response.status_code == 202, response.text
    produce_json(broker, topic_name, ["v3"])
    wait_for_lines(out, 3)

    assert worker.put("/connectors/sink/pause").status_code == 202
    worker.wait_for_state("sink", "PAUSED")
    produce_json(broker, topic_name, ["v4"])
    assert worker.put("/connectors/sink/resume").status_code == 202
    wait_for_lines(out, 4)

    assert worker.put("/connectors/sink/stop").status_code == 204
    worker.wait_for_state("sink", "STOPPED", tasks=0)
    produce_json(broker, topic_name, ["v5"])
    assert worker.put("/connectors/sink/resume").status_code == 202
    produce_json(broker, topic_name, ["v6"])
    # Each value once, in order: every instance committed what it wrote before the next one started.
    assert wait_for_lines(out, 6) == ["v1", "v2", "v3", "v4", "v5", "v6"]
    expect_running(worker, "sink")


def test_a_pause_longer_than_max_poll_interval_neither_drops_the_sink_from_its_group_nor_redelivers(
        start_worker, broker, tmp_path, topic_name, caplog):
    caplog.set_level(logging.WARNING, logger="dbconnect.runtime.sink_task")
    worker = start_worker(**PLAIN_JSON)
    out = tmp_path / "out.txt"
    max_poll_ms = 7000  # librdkafka's least: session.timeout.ms (6000 in these tests)
    config = {**sink_config(out, topics=topic_name), "consumer.override.max.poll.interval.ms": str(max_poll_ms)}
    assert worker.put("/connectors/sink/config", json=config).status_code == 201
    wait_until_topic_reported_missing(worker, "sink", caplog)
    produce_json(broker, topic_name, ["p1"])
    wait_for_lines(out, 1)
    assert worker.put("/connectors/sink/pause").status_code == 202
    worker.wait_for_state("sink", "PAUSED")
    # The pause itself is the scenario: it lasts longer than max.poll.interval.ms.
    paused_until = time.monotonic() + max_poll_ms / 1000 + 3
    while time.monotonic() < paused_until:
        assert task_state(worker, "sink")["state"] == "PAUSED"
        time.sleep(0.5)
    assert worker.put("/connectors/sink/resume").status_code == 202
    produce_json(broker, topic_name, ["p2"])
    assert wait_for_lines(out, 2) == ["p1", "p2"]
    # A consumer that was not polled for max.poll.interval.ms reports it in the first poll after
    # the pause, so before p2 could arrive: it was kept polling, and stayed in its group.
    assert not [r.getMessage() for r in caplog.records if "max.poll.interval.ms" in r.getMessage()]
    expect_running(worker, "sink")


def _worker_process(tmp_path: Path, broker: Any, connector: Path, run: int) -> subprocess.Popen:
    props = tmp_path / "worker.properties"
    props.write_text("\n".join(f"{k}={v}" for k, v in {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        **PLAIN_JSON,
        "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
        "offset.flush.interval.ms": "500", "listeners": "http://127.0.0.1:0",
        "consumer.session.timeout.ms": "6000", "consumer.heartbeat.interval.ms": "1000",
    }.items()) + "\n")
    log = open(tmp_path / f"worker-{run}.log", "wb")  # noqa: SIM115 — closed with the process
    return subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", str(props), str(connector)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_sink_keeps_receiving_after_its_worker_is_sigtermed_and_started_again(broker, tmp_path, topic_name):
    out = tmp_path / "out.txt"
    connector = tmp_path / "sink.json"
    connector.write_text(json.dumps({"name": "sink", **sink_config(out, topics=topic_name)}))
    proc = _worker_process(tmp_path, broker, connector, 1)
    try:
        # The sink looks for its topic first (a log line since this fix, a FAILED trace before).
        wait_until(lambda: MISSING_TOPIC_LOG in (tmp_path / "worker-1.log").read_text(), timeout=60,
                   interval=0.1, what="the worker's sink to look for its missing topic")
        produce_json(broker, topic_name, ["before"])
        wait_for_lines(out, 1, timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        produce_json(broker, topic_name, ["while-down"])
        proc = _worker_process(tmp_path, broker, connector, 2)
        produce_json(broker, topic_name, ["after"])
        assert wait_for_lines(out, 3, timeout=60) == ["before", "while-down", "after"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    log = (tmp_path / "worker-1.log").read_text()
    assert "FAILED" not in log and "unrecoverable" not in log, log[-3000:]


# -- topics.regex ----------------------------------------------------------------------------------------


def test_topics_regex_sink_picks_up_matching_topics_created_later(start_worker, broker, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="dbconnect.runtime.sink_task")
    worker = start_worker(**PLAIN_JSON)
    prefix = f"regex-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out.txt"
    # Like Kafka's, the regex must match the whole name: this topic starts with a match only.
    produce_json(broker, f"{prefix}-first-archive", ["archived, not for this sink"])
    config = sink_config(out, topics_regex=f"{prefix}-(first|second)")
    assert worker.put("/connectors/sink/config", json=config).status_code == 201
    wait_until_topic_reported_missing(worker, "sink", caplog)
    produce_json(broker, f"{prefix}-first", ["one"])
    assert wait_for_lines(out, 1) == ["one"]
    # A second matching topic while the sink consumes the first: found at the next metadata
    # refresh (librdkafka's default is every 5 minutes; sink consumers refresh every few seconds).
    produce_json(broker, f"{prefix}-second", ["two"])
    assert wait_for_lines(out, 2, timeout=60) == ["one", "two"]
    produce_json(broker, "unrelated-" + prefix, ["not for this sink"])
    produce_json(broker, f"{prefix}-first", ["three"])
    assert wait_for_lines(out, 3) == ["one", "two", "three"]
    expect_running(worker, "sink")


def test_sink_of_two_topics_picks_up_the_second_one_created_while_it_consumes_the_first(
        start_worker, broker, tmp_path, topic_name, caplog):
    caplog.set_level(logging.WARNING, logger="dbconnect.runtime.sink_task")
    worker = start_worker(**PLAIN_JSON)
    out = tmp_path / "out.txt"
    first, second = f"{topic_name}-a", f"{topic_name}-b"
    assert worker.put("/connectors/sink/config", json=sink_config(out, topics=f"{first},{second}")).status_code == 201
    wait_until_topic_reported_missing(worker, "sink", caplog)
    produce_json(broker, first, ["a1"])
    assert wait_for_lines(out, 1) == ["a1"]
    # The group now consumes the first topic; the second one appears only in a later metadata refresh.
    produce_json(broker, second, ["b1"])
    assert wait_for_lines(out, 2, timeout=60) == ["a1", "b1"]
    expect_running(worker, "sink")


def test_sink_rides_out_a_broker_restart(start_worker, tmp_path, topic_name, caplog):
    caplog.set_level(logging.WARNING, logger="dbconnect.runtime.sink_task")
    own = EmbeddedBroker()  # a private broker: this test stops it
    own.start()
    try:
        worker = start_worker(**PLAIN_JSON, **{"bootstrap.servers": own.bootstrap_servers})
        out = tmp_path / "out.txt"
        assert worker.put("/connectors/sink/config", json=sink_config(out, topics=topic_name)).status_code == 201
        wait_until_topic_reported_missing(worker, "sink", caplog)
        produce_json(own, topic_name, ["before"])
        wait_for_lines(out, 1)
        port = own.port
        own.stop()

        def outage_reported() -> bool:
            return task_state(worker, "sink")["state"] == "FAILED" or any(
                "The consumer reconnects by itself" in r.getMessage() for r in caplog.records)

        wait_until(outage_reported, timeout=30, interval=0.1, what="the sink to notice the broker is gone")
        own = EmbeddedBroker(port=port)  # same address; its in-memory storage starts empty
        own.start()
        produce_json(own, topic_name, ["after"])
        assert wait_for_lines(out, 2, timeout=60) == ["before", "after"]
        expect_running(worker, "sink")
    finally:
        own.stop()


# -- a consumer error that needs the user ----------------------------------------------------------------


def test_auto_offset_reset_none_without_committed_offsets_fails_the_task_saying_what_to_do(
        worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name)
    produce_json(broker, topic_name, ["x"])
    config = {**sink_config(tmp_path / "out.txt", topics=topic_name), "consumer.override.auto.offset.reset": "none"}
    assert worker.put("/connectors/strict/config", json=config).status_code == 201
    trace = worker.wait_for_task_state("strict", 0, "FAILED")["trace"]
    assert "Consumer error: no previously committed offset available" in trace
    assert "PATCH /connectors/strict/offsets" in trace and "consumer.override.auto.offset.reset" in trace


# -- JDBC: the tutorial's sink, then its source ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_jdbc_sink_created_before_the_jdbc_source_copies_the_table(kind, request, worker):
    server = request.getfixturevalue("postgres" if kind == "postgresql" else "mariadb")
    db = Db(kind, server)
    created = "created_at TIMESTAMP(3) DEFAULT now()" if db.pg else "created_at DATETIME(3) DEFAULT NOW(3)"
    db.execute(f"CREATE TABLE users ({db.serial}, user_id VARCHAR(20), pwd VARCHAR(20), name VARCHAR(20), {created})")
    db.execute("INSERT INTO users (user_id, pwd, name) VALUES ('user1', 'test1111', 'User name 1'), "
               "('user2', 'test2222', 'User name 2')")
    prefix = f"my_topic_{uuid.uuid4().hex[:8]}_"
    target = f"{prefix}users"
    connection = {"connection.url": server.jdbc_url(db.name), "connection.user": server.user,
                  "connection.password": server.password}
    sink = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", **connection,
            "auto.create": "true", "auto.evolve": "true", "delete.enabled": "false", "tasks.max": "1",
            "topics": target}
    source = {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", **connection,
              "mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "users",
              "topic.prefix": prefix, "tasks.max": "1", "poll.interval.ms": "500"}
    # Back to back, sink first, as in the tutorial.
    assert worker.put("/connectors/my-sink-connect/config", json=sink).status_code == 201
    assert worker.put("/connectors/my-source-connect/config", json=source).status_code == 201

    def rows(table: str) -> list[tuple]:
        try:
            return db.execute(f"SELECT id, user_id, pwd, name, created_at FROM {db.q(table)} ORDER BY id")
        except Exception:
            return []

    wait_until(lambda: len(rows(target)) == 2, timeout=90, what=f"2 rows in {target}")
    db.execute("INSERT INTO users (user_id, pwd, name) VALUES ('user3', 'test3333', 'User name 3')")
    wait_until(lambda: len(rows(target)) == 3, timeout=60, what=f"the third row in {target}")
    assert rows(target) == rows("users")
    expect_running(worker, "my-sink-connect")
