"""task.isolation=process: each connector instance in a child process of its own (issue 12 item 1).

Its start(), task_configs() and stop() run there; a hang in any of them blocks neither the
herder nor the REST API, and the worker can always end the instance (SIGKILL).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import pytest
import requests

from .jdbc_helpers import Db, db, payloads, wait_until  # noqa: F401 — db: the fixture
from .test_task_processes import instance_pid, process_gone, wait_for


def shown(record: logging.LogRecord) -> str:
    """A record as the worker's text format shows it: Kafka's connector.context, then the message."""
    return getattr(record, "connector_context", "") + record.getMessage()

PLUGINS = "tests.integration.task_process_plugins"
PROCESS = {"task.isolation": "process"}


def connector_pid(worker, name: str, timeout: float = 30.0) -> int:
    """The pid of the connector instance's process (polling: it may just be (re)starting)."""
    return instance_pid(worker, "_connectors", name, f"connector {name}", timeout)


def pid_in(path: Path) -> int:
    return wait_for(lambda: path.exists() and path.read_text() and int(path.read_text()), what=f"a pid in {path}")


def test_a_start_that_hangs_blocks_no_other_connector_and_delete_kills_its_process(start_worker, tmp_path):
    worker = start_worker(**PROCESS)
    pid_file = tmp_path / "hung.pid"
    hung = {"connector.class": f"{PLUGINS}:HangingStartSourceConnector", "heartbeat.file": str(tmp_path / "h"),
            "pid.file": str(pid_file)}
    answers: list = []
    # A session of its own: requests' sessions are not meant to be shared between threads.
    creating = threading.Thread(target=lambda: answers.append(
        requests.put(worker.url + "/connectors/hung/config", json=hung, timeout=60)))
    creating.start()
    try:
        pid = pid_in(pid_file)  # start() is running (and never returns)
        assert pid != os.getpid() and pid == connector_pid(worker, "hung")
        # While it hangs, the REST API answers and another connector is created, runs and is deleted.
        beat = {"connector.class": f"{PLUGINS}:HeartbeatSourceConnector", "heartbeat.file": str(tmp_path / "b")}
        assert worker.put("/connectors/other/config", json=beat).status_code == 201
        worker.wait_for_state("other")
        assert worker.delete("/connectors/other").status_code == 204
        status = worker.get("/connectors/hung/status").json()
        # Kafka Connect shows RUNNING only once start() returned.
        assert status["connector"]["state"] == "UNASSIGNED" and status["tasks"] == [], status
        assert not process_gone(pid)
    finally:
        creating.join(60)
    # The PUT answered once its wait for start() ran out: created, no tasks yet.
    assert answers[0].status_code == 201 and answers[0].json()["tasks"] == [], answers[0].text

    assert worker.delete("/connectors/hung").status_code == 204
    assert process_gone(pid), "DELETE killed the process whose start() never returned"
    assert worker.get("/connectors").json() == []


def test_task_configs_that_hang_fail_the_connector_with_a_clear_error(start_worker, tmp_path):
    worker = start_worker(**PROCESS)
    config = {"connector.class": f"{PLUGINS}:HangingTaskConfigsSourceConnector", "heartbeat.file": str(tmp_path / "h"),
              "pid.file": str(tmp_path / "c.pid")}
    assert worker.put("/connectors/slow/config", json=config).status_code == 201
    # A generous bound around the 10 s timeout (worker.CONNECTOR_TASK_CONFIGS_TIMEOUT).
    status = worker.wait_for_state("slow", "FAILED", tasks=0, timeout=40)["connector"]
    assert "did not return its task configs within 10 s" in status["trace"], status["trace"]
    assert "HangingTaskConfigsSourceConnector" in status["trace"]
    pid = connector_pid(worker, "slow")
    # The worker answers at once, and the stuck instance ends with a DELETE (killed after 5 s).
    assert worker.get("/connectors").json() == ["slow"]
    assert worker.delete("/connectors/slow").status_code == 204
    assert process_gone(pid)


def test_a_stop_that_hangs_is_killed_and_the_connector_can_be_created_again(start_worker, tmp_path, caplog):
    worker = start_worker(**PROCESS)
    config = {"connector.class": f"{PLUGINS}:HangingStopSourceConnector", "heartbeat.file": str(tmp_path / "b.txt")}
    assert worker.put("/connectors/hung/config", json=config).status_code == 201
    worker.wait_for_state("hung")
    pid = connector_pid(worker, "hung")
    assert pid != os.getpid()
    with caplog.at_level(logging.ERROR, logger="dbconnect.runtime.connector_process"):
        assert worker.delete("/connectors/hung").status_code == 204
    assert process_gone(pid), "the process whose stop() never returned was killed"
    assert any("'hung' failed to properly shut down" in r.getMessage() and "SIGKILL" in r.getMessage()
               for r in caplog.records)
    assert not [t for t in threading.enumerate() if t.name.startswith("connector-stop-")]  # nothing abandoned
    assert worker.put("/connectors/hung/config", json=config).status_code == 201
    worker.wait_for_state("hung")
    assert connector_pid(worker, "hung") not in (pid, os.getpid())


def test_connector_process_killed_is_failed_with_the_signal_and_restart_brings_it_back(start_worker, tmp_path):
    worker = start_worker(**PROCESS)
    config = {"connector.class": f"{PLUGINS}:HeartbeatSourceConnector", "heartbeat.file": str(tmp_path / "b")}
    assert worker.put("/connectors/beat/config", json=config).status_code == 201
    worker.wait_for_state("beat")
    pid = connector_pid(worker, "beat")
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    status = worker.wait_for_state("beat", "FAILED", tasks=None)["connector"]
    assert "killed by signal SIGKILL" in status["trace"] and str(pid) in status["trace"], status
    assert worker.post("/connectors/beat/restart").status_code == 204
    worker.wait_for_state("beat")
    assert connector_pid(worker, "beat") not in (pid, os.getpid())


def test_connector_process_logs_with_its_context_and_follows_admin_loggers(start_worker, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="tests.integration.unrelated")  # the capture handler takes DEBUG
    plugins_logger = logging.getLogger(PLUGINS)
    saved = plugins_logger.level
    plugins_logger.setLevel(logging.WARNING)
    try:
        worker = start_worker(**PROCESS)
        config = {"connector.class": f"{PLUGINS}:ChattySourceConnector", "heartbeat.file": str(tmp_path / "b"),
                  "pid.file": str(tmp_path / "c.pid")}
        assert worker.put("/connectors/chatty/config", json=config).status_code == 201
        assert pid_in(tmp_path / "c.pid") != os.getpid()

        def records(level: int) -> list[logging.LogRecord]:
            return [r for r in caplog.records if r.name == PLUGINS and r.levelno == level
                    and "connector" in r.getMessage()]

        wait_for(lambda: len(records(logging.WARNING)) >= 3, what="the connector's warning ticks")
        # Kafka Connect's context for a connector instance: [name|worker].
        assert all(shown(r).startswith("[chatty|worker] connector tick") for r in records(logging.WARNING))
        assert records(logging.DEBUG) == []
        assert worker.put(f"/admin/loggers/{PLUGINS}", json={"level": "DEBUG"}).status_code == 200
        wait_for(lambda: records(logging.DEBUG), what="a DEBUG line from the connector process")
        assert shown(records(logging.DEBUG)[0]).startswith("[chatty|worker] connector debug tick")
    finally:
        plugins_logger.setLevel(saved)


def test_raise_error_in_the_connector_process_fails_the_connector(start_worker, tmp_path):
    worker = start_worker(**PROCESS)
    config = {"connector.class": f"{PLUGINS}:ChattySourceConnector", "heartbeat.file": str(tmp_path / "b"),
              "pid.file": str(tmp_path / "c.pid"), "raise.error": "tables collide on one topic"}
    assert worker.put("/connectors/broken/config", json=config).status_code == 201
    assert pid_in(tmp_path / "c.pid") != os.getpid()
    status = worker.wait_for_state("broken", "FAILED", tasks=None)["connector"]
    assert "ConnectError: tables collide on one topic" in status["trace"], status


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_new_table_reaches_the_herder_from_the_connector_process(db: Db, start_worker, broker, topic_name):
    """The real user's case of request_task_reconfiguration: a JDBC source with table.whitelist
    unset, whose table monitor (a thread of the connector instance) sees a new table."""
    worker = start_worker(**PROCESS)
    prefix = f"{topic_name}-"
    config = db.config(mode="incrementing", **{"table.include.list": r".*\.grow_.*", "topic.prefix": prefix,
                                               "table.poll.interval.ms": 500})
    assert worker.put("/connectors/grow/config", json=config).status_code == 201
    worker.wait_for_state("grow", tasks=0)
    assert connector_pid(worker, "grow") != os.getpid()
    assert worker.get("/connectors/grow/tasks").json() == []  # no table yet: no task
    db.execute(f"CREATE TABLE grow_one ({db.serial}, v INT)")
    db.execute("INSERT INTO grow_one (v) VALUES (7)")
    wait_until(lambda: len(worker.get("/connectors/grow/tasks").json()) == 1, what="a task for the new table")
    assert payloads(broker.consume(prefix + "grow_one", 1, timeout=60, partition=None))[0]["v"] == 7


def test_a_connector_config_that_cannot_be_pickled_is_a_clear_error_naming_the_key(start_worker, tmp_path):
    """Only a programmatic caller can pass a value that is not a string (REST configs are JSON
    strings); it must not hang or fail obscurely on its way to the connector process."""
    worker = start_worker(**PROCESS)

    class LocalStr(str):  # a class local to this function: cannot be pickled
        pass

    config = {"connector.class": f"{PLUGINS}:HeartbeatSourceConnector", "name": "odd",
              "heartbeat.file": str(tmp_path / "b"), "handle": LocalStr("x")}
    assert worker.connect.worker.start_connector("odd", config, "STARTED", lambda _name: None) is False
    status = worker.connect.worker.status_store.connector("odd")
    assert status.state == "FAILED", status
    assert "'handle'" in status.trace and "cannot be serialised" in status.trace and "task.isolation=process" in status.trace
