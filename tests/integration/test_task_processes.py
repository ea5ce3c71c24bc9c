"""task.isolation=process: each task in a child process, supervised by the worker (issue 12 item 1)."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from dbconnect.runtime.stores.status import ConnectorTaskId

from .test_file_pipeline import sink_config, source_config, wait_for_lines


def shown(record: logging.LogRecord) -> str:
    """A record as the worker's text format shows it: Kafka's connector.context, then the message."""
    return getattr(record, "connector_context", "") + record.getMessage()

PLUGINS = "tests.integration.task_process_plugins"
SCHEMALESS = {"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"}


def instance_pid(worker, instances: str, key: object, what: str, timeout: float = 30.0) -> int:
    """The pid of a connector's or a task's process, from the Worker's ``_connectors`` or
    ``_tasks`` (polling: the instance may just be (re)starting)."""
    def pid() -> int | None:
        with worker.connect.worker._lock:
            instance = getattr(worker.connect.worker, instances).get(key)
        return getattr(instance, "pid", None)
    return wait_for(pid, timeout=timeout, what=f"a process of {what}")


def task_pid(worker, name: str, task: int = 0, timeout: float = 30.0) -> int:
    """The pid of the task's process (polling: the task may just be (re)starting)."""
    return instance_pid(worker, "_tasks", ConnectorTaskId(name, task), f"task {name}-{task}", timeout)


def process_gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (gone, or a zombie not yet reaped by the fork server)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout}s")


def heartbeats(path: Path) -> list[tuple[int, int]]:
    if not path.exists():
        return []
    return [tuple(map(int, line.split())) for line in path.read_text().splitlines() if line.count(" ") == 1]


def test_file_pipeline_runs_in_task_processes_and_pauses(start_worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("a-1\na-2\na-3\n")
    worker = start_worker(**SCHEMALESS, **{"task.isolation": "process"})
    # The user's order: the sink first, then the source.
    assert worker.put("/connectors/sink/config", json={**sink_config(sink, topic_name), "name": "sink"}).status_code == 201
    assert worker.put("/connectors/src/config", json={**source_config(source, topic_name), "name": "src"}).status_code == 201
    assert wait_for_lines(sink, 3) == ["a-1", "a-2", "a-3"]
    source_pid, sink_pid = task_pid(worker, "src"), task_pid(worker, "sink")
    assert len({source_pid, sink_pid, os.getpid()}) == 3, "each task runs in a process of its own"
    worker.wait_for_state("src")
    # Source offsets reach the worker's offset store (the file), sent by the task process.
    offsets = wait_for(lambda: worker.get("/connectors/src/offsets").json()["offsets"], what="source offsets")
    assert offsets[0]["offset"] == {"position": source.stat().st_size}  # bytes read, all delivered

    assert worker.put("/connectors/src/pause").status_code == 202
    worker.wait_for_state("src", "PAUSED")
    assert worker.put("/connectors/src/resume").status_code == 202
    worker.wait_for_state("src", "RUNNING")
    with source.open("a") as fh:
        fh.write("a-4\n")
    assert wait_for_lines(sink, 4)[3:] == ["a-4"]

    # A graceful restart of the worker resumes from the offsets the task process committed.
    worker.stop()
    assert process_gone(source_pid) and process_gone(sink_pid)
    with source.open("a") as fh:
        fh.write("a-5\nmarker\n")
    worker = start_worker(**SCHEMALESS, **{"task.isolation": "process"})
    worker.connect.add_connector("sink", {**sink_config(sink, topic_name), "name": "sink"})
    worker.connect.add_connector("src", {**source_config(source, topic_name), "name": "src"})
    lines = wait_for_lines(sink, 6)
    assert lines == ["a-1", "a-2", "a-3", "a-4", "a-5", "marker"]


def test_task_process_killed_by_sigkill_is_failed_and_restart_resumes_without_loss(start_worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("b-1\nb-2\n")
    worker = start_worker(**SCHEMALESS, **{"task.isolation": "process"})
    worker.connect.add_connector("sink", {**sink_config(sink, topic_name), "name": "sink"})
    worker.connect.add_connector("src", {**source_config(source, topic_name), "name": "src"})
    assert wait_for_lines(sink, 2) == ["b-1", "b-2"]
    wait_for(lambda: worker.get("/connectors/src/offsets").json()["offsets"], what="source offsets")

    pid = task_pid(worker, "src")
    os.kill(pid, signal.SIGKILL)
    status = worker.wait_for_task_state("src", 0, "FAILED")
    assert "killed by signal SIGKILL" in status["trace"], status
    assert str(pid) in status["trace"]
    # Lines written while the task is down are not lost: the restarted task resumes from its offsets.
    with source.open("a") as fh:
        fh.write("b-3\n")
    assert worker.post("/connectors/src/tasks/0/restart").status_code == 204
    worker.wait_for_task_state("src", 0, "RUNNING")
    assert task_pid(worker, "src") != pid

    # The sink's process is killed too: its consumer offsets stay with Kafka, it resumes from them.
    sink_pid = task_pid(worker, "sink")
    os.kill(sink_pid, signal.SIGKILL)
    assert "killed by signal SIGKILL" in worker.wait_for_task_state("sink", 0, "FAILED")["trace"]
    assert worker.post("/connectors/sink/tasks/0/restart").status_code == 204
    with source.open("a") as fh:
        fh.write("marker\n")
    # The marker is written last: once it is in the sink file, everything before it had its chance.
    lines = wait_for(lambda: (got := sink.read_text().splitlines()) and got[-1] == "marker" and got, what="the marker")
    # Nothing the worker acknowledged is lost; a record after the last committed sink offset may repeat.
    assert lines[:2] == ["b-1", "b-2"] and "b-3" in lines, lines


def test_task_ignoring_stop_is_killed_after_graceful_timeout_and_never_writes_again(start_worker, tmp_path):
    beat = tmp_path / "beats.txt"
    worker = start_worker(**{"task.isolation": "process", "task.shutdown.graceful.timeout.ms": "1000"})
    config = {"connector.class": f"{PLUGINS}:HeartbeatSourceConnector", "heartbeat.file": str(beat),
              "ignore.stop": "true"}
    assert worker.put("/connectors/zombie/config", json=config).status_code == 201
    worker.wait_for_state("zombie")
    old = task_pid(worker, "zombie")
    wait_for(lambda: len(heartbeats(beat)) >= 3, what="zombie heartbeats")

    started = time.monotonic()
    assert worker.post("/connectors/zombie/tasks/0/restart").status_code == 204
    took = time.monotonic() - started
    assert process_gone(old)
    old_beats = sum(1 for pid, _ in heartbeats(beat) if pid == old)
    new = task_pid(worker, "zombie")
    assert new != old
    # Once the replacement has beaten ten times, the old process would have beaten too.
    wait_for(lambda: sum(1 for pid, _ in heartbeats(beat) if pid == new) >= 10, what="new heartbeats")
    assert sum(1 for pid, _ in heartbeats(beat) if pid == old) == old_beats
    assert took < 1.0 + 5.0, f"the restart took {took:.1f}s: the kill did not come at the graceful timeout"

    # A worker shutdown kills it too, and its status says so.
    worker.stop()
    status = worker.connect.worker.status_store.task(ConnectorTaskId("zombie", 0))
    assert status.state == "FAILED" and "SIGKILL" in status.trace and "task.shutdown.graceful.timeout.ms=1000" in status.trace
    assert process_gone(new)


def test_failing_start_in_task_process_is_failed_with_trace(start_worker, tmp_path, caplog):
    worker = start_worker(**{"task.isolation": "process"})
    config = {"connector.class": f"{PLUGINS}:FailingStartSourceConnector", "heartbeat.file": str(tmp_path / "b")}
    assert worker.put("/connectors/bad/config", json=config).status_code == 201
    status = worker.wait_for_task_state("bad", 0, "FAILED")
    assert "boom: this task never starts" in status["trace"]
    assert "FailingStartTask" in status["trace"] or "task_process_plugins" in status["trace"]
    # It failed in the task process: its error line reached the worker's log with the task's context.
    assert any(shown(r).startswith("[bad|task-0] ") and r.levelno == logging.ERROR for r in caplog.records)
    # The connector itself keeps running in the worker.
    assert worker.get("/connectors/bad/status").json()["connector"]["state"] == "RUNNING"


def test_unpicklable_task_config_is_a_clear_error_naming_the_key(start_worker, tmp_path):
    """The connector instance runs in a process of its own too: a task config it cannot send to the
    worker fails the connector, with the same message naming the key."""
    worker = start_worker(**{"task.isolation": "process"})
    config = {"connector.class": f"{PLUGINS}:UnpicklableConfigSourceConnector", "heartbeat.file": str(tmp_path / "b")}
    assert worker.put("/connectors/unpicklable/config", json=config).status_code == 201
    status = worker.wait_for_state("unpicklable", "FAILED", tasks=0, timeout=10)["connector"]
    assert "'handle'" in status["trace"] and "cannot be serialised" in status["trace"], status["trace"]
    assert "task.isolation=process" in status["trace"]
    assert worker.get("/connectors/unpicklable/tasks").json() == []


def test_plugin_importable_in_worker_only_fails_with_the_import_error(start_worker, tmp_path, monkeypatch):
    import sys
    import types

    from . import task_process_plugins

    # A module that exists only in this process (not on any path the task process could import).
    module = types.ModuleType("worker_only_plugins")
    module.HeartbeatSourceConnector = type("HeartbeatSourceConnector", (task_process_plugins._OneTaskSource,),
                                           {"task_cls": type("WorkerOnlyTask", (task_process_plugins.HeartbeatTask,), {})})
    module.WorkerOnlyTask = module.HeartbeatSourceConnector.task_cls
    module.WorkerOnlyTask.__module__ = "worker_only_plugins"
    monkeypatch.setitem(sys.modules, "worker_only_plugins", module)
    worker = start_worker(**{"task.isolation": "process"})
    config = {"connector.class": "worker_only_plugins:HeartbeatSourceConnector", "heartbeat.file": str(tmp_path / "b")}
    assert worker.put("/connectors/pathdiff/config", json=config).status_code == 201
    # The connector instance runs in a child process too (from the same fork server, with the same
    # sys.path as task processes): it is the first to miss the module, and fails naming it.
    status = worker.wait_for_state("pathdiff", "FAILED", tasks=0)["connector"]
    assert "worker_only_plugins" in status["trace"], status["trace"]


def test_logger_level_changed_at_run_time_reaches_the_task_process(start_worker, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="tests.integration.unrelated")  # the capture handler takes DEBUG
    plugins_logger = logging.getLogger(PLUGINS)
    saved = plugins_logger.level
    plugins_logger.setLevel(logging.WARNING)
    try:
        _check_level_change(start_worker, tmp_path, caplog)
    finally:
        plugins_logger.setLevel(saved)


def _check_level_change(start_worker, tmp_path, caplog):
    beat = tmp_path / "beats.txt"
    worker = start_worker(**{"task.isolation": "process"})
    config = {"connector.class": f"{PLUGINS}:HeartbeatSourceConnector", "heartbeat.file": str(beat)}
    assert worker.put("/connectors/chatty/config", json=config).status_code == 201
    pid = task_pid(worker, "chatty")
    assert pid != os.getpid()

    def records(level: int) -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == PLUGINS and r.levelno == level]

    # The task's WARNING lines arrive in the worker's log stream, with the task's context.
    wait_for(lambda: len(records(logging.WARNING)) >= 3, what="warning heartbeats")
    assert all(shown(r).startswith("[chatty|task-0] heartbeat") for r in records(logging.WARNING))
    assert records(logging.DEBUG) == []  # three polls logged no DEBUG line at WARNING

    response = worker.put(f"/admin/loggers/{PLUGINS}", json={"level": "DEBUG"})
    assert response.status_code == 200, response.text
    wait_for(lambda: records(logging.DEBUG), what="a DEBUG line from the task process")
    assert shown(records(logging.DEBUG)[0]).startswith("[chatty|task-0] debug heartbeat")


def test_source_offsets_from_a_task_process_cover_only_delivered_records(start_worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("c-1\nc-2\n")
    delivered = source.stat().st_size
    worker = start_worker(**SCHEMALESS, **{"task.isolation": "process"})
    # Records over 2000 bytes cannot be sent: the producer refuses them.
    config = {**source_config(source, topic_name), "name": "src", "producer.override.message.max.bytes": "2000"}
    worker.connect.add_connector("src", config)
    assert task_pid(worker, "src") != os.getpid()
    offsets = wait_for(lambda: worker.get("/connectors/src/offsets").json()["offsets"], what="source offsets")
    assert offsets[0]["offset"] == {"position": delivered}
    with source.open("a") as fh:
        fh.write("x" * 5000 + "\nc-4\n")
    status = worker.wait_for_task_state("src", 0, "FAILED")
    assert "topic" in status["trace"], status["trace"]
    # The task process has exited (its close() committed what was delivered): nothing after c-2 counts.
    wait_for(lambda: not worker.connect.worker.task_ids("src"), what="the task process to exit")
    assert worker.get("/connectors/src/offsets").json()["offsets"][0]["offset"] == {"position": delivered}


def test_connector_whose_stop_hangs_does_not_hang_the_worker(start_worker, tmp_path, caplog):
    """task.isolation=thread: connector instances run in the worker, so a Connector.stop() that never
    returns is abandoned after 5 s (Kafka's connector graceful shutdown timeout), and the REST API
    keeps answering. (Process mode kills the connector's process instead: test_connector_processes.py.)"""
    from .task_process_plugins import RELEASE_HUNG_STOP

    worker = start_worker(**{"task.isolation": "thread"})
    config = {"connector.class": f"{PLUGINS}:HangingStopSourceConnector", "heartbeat.file": str(tmp_path / "b.txt")}
    try:
        assert worker.put("/connectors/hung/config", json=config).status_code == 201
        worker.wait_for_state("hung")
        with caplog.at_level(logging.ERROR, logger="dbconnect.runtime.worker"):
            assert worker.delete("/connectors/hung").status_code == 204  # requests gives up after 30 s
        assert any("'hung' failed to properly shut down" in r.getMessage() for r in caplog.records)
        assert worker.get("/connectors").json() == []
        # The name can be used again at once, and a new instance runs.
        assert worker.put("/connectors/hung/config", json=config).status_code == 201
        worker.wait_for_state("hung")
    finally:
        RELEASE_HUNG_STOP.set()


def test_librdkafka_log_lines_of_a_task_process_carry_the_task_context(start_worker, tmp_path, caplog):
    """librdkafka's own lines (here: its producer cannot reach the broker) reach the worker's log
    stream with ``[name|task-N]``, like the task's Python log lines, not bare on stderr."""
    from dbconnect.embedded.ports import free_port

    caplog.set_level(logging.WARNING)
    source = tmp_path / "in.txt"
    source.write_text("a-1\n")
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there: librdkafka logs FAIL lines
    # A short graceful timeout: its records can never be delivered, so the stop at teardown ends in the SIGKILL.
    worker = start_worker(**SCHEMALESS, **{"task.isolation": "process", "producer.bootstrap.servers": nowhere,
                                           "task.shutdown.graceful.timeout.ms": "1000"})
    assert worker.put("/connectors/src/config", json={**source_config(source, "nowhere"), "name": "src"}).status_code == 201
    line = wait_for(lambda: next((r for r in caplog.records if nowhere in r.getMessage()), None),
                    what="a librdkafka log line naming the unreachable bootstrap server")
    assert shown(line).startswith("[src|task-0] "), line.getMessage()
    assert "connector-producer-src-0" in line.getMessage()  # librdkafka's own line: the client's name
