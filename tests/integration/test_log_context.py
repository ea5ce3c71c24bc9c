"""Log lines of a FileStream pipeline carry Kafka's connector context, in thread and process isolation."""

from __future__ import annotations

import io
import logging
import os
import threading
import time

import orjson
import pytest

from dbconnect.runtime.log_context import configure_logging

from .test_file_pipeline import sink_config, source_config, wait_for_lines

SCHEMALESS = {"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"}
NAMES = ("local-file-source", "local-file-sink")


class Captured(logging.Handler):
    """Keeps each record next to the line the CLI's handler (same formatter and filters) wrote for it."""

    def __init__(self, cli_handler: logging.Handler, stream: io.StringIO) -> None:
        super().__init__(logging.DEBUG)
        self.cli_handler, self.stream = cli_handler, stream
        self.entries: list[tuple[logging.LogRecord, str]] = []
        self.lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:  # runs after the CLI handler (added before)
        with self.lock_:
            lines = self.stream.getvalue().splitlines()
            self.entries.append((record, lines[-1] if lines else ""))


@pytest.fixture
def worker_log():
    """The worker's log output as `dbconnect standalone --log-format FMT` writes it, at DEBUG."""
    root = logging.getLogger()
    saved = root.level
    installed: list[logging.Handler] = []

    def install(fmt: str) -> Captured:
        stream = io.StringIO()
        cli_handler = configure_logging("DEBUG", fmt, stream)
        captured = Captured(cli_handler, stream)
        root.addHandler(captured)
        installed.extend([cli_handler, captured])
        return captured

    yield install
    for handler in installed:
        root.removeHandler(handler)
    root.setLevel(saved)


def task_entries(captured: Captured, isolation: str) -> list[tuple[logging.LogRecord, str]]:
    """What the tasks emitted: lines logged on a task's thread, or sent up a task process's pipe."""
    if isolation == "thread":
        return [(r, line) for r, line in captured.entries if r.threadName.startswith("task-thread-")]
    return [(r, line) for r, line in captured.entries if r.process != os.getpid()
            and "|worker" not in (getattr(r, "connector_context", "") or "")]


def run_pipeline(start_worker, broker, tmp_path, topic_name, isolation: str, **extra: str) -> None:
    broker.create_topic(topic_name, partitions=1)
    source, sink = tmp_path / "test.txt", tmp_path / "test.sink.txt"
    source.write_text("hello-1\nhello-2\nhello-3\n")
    worker = start_worker(**SCHEMALESS, **{"task.isolation": isolation, "offset.flush.interval.ms": "200"}, **extra)
    # The tutorial's order: the sink first, over REST, then the source.
    for name, config in (("local-file-sink", sink_config(sink, topic_name)),
                         ("local-file-source", source_config(source, topic_name))):
        response = worker.put(f"/connectors/{name}/config", json=config)
        assert response.status_code == 201, response.text
    assert wait_for_lines(sink, 3) == ["hello-1", "hello-2", "hello-3"]
    worker.stop()  # the tasks' stop and final offset commit are logged too


@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_every_line_a_task_emits_carries_its_context_in_the_text_format(
        start_worker, broker, tmp_path, topic_name, worker_log, isolation):
    captured = worker_log("text")
    run_pipeline(start_worker, broker, tmp_path, topic_name, isolation)
    entries = task_entries(captured, isolation)
    # Both tasks logged (DEBUG from the clients and the runtime), every line with its own context.
    for name in NAMES:
        mine = [line for r, line in entries if getattr(r, "connector", None) == name]
        assert mine, f"no line from {name}'s task: {[line for _, line in captured.entries][-40:]}"
    bad = [line for _, line in entries
           if not any(f" [{name}|task-0] " in line or f" [{name}|task-0|offsets] " in line for name in NAMES)]
    assert bad == [], bad[:10]
    # Offset commits (offset.flush.interval.ms=200): [name|task-0|offsets].
    assert any(" [local-file-source|task-0|offsets] Committing offsets" in line for _, line in entries)
    assert any(" [local-file-sink|task-0|offsets] Committing offsets" in line for _, line in entries)
    # The connectors' own lifecycle in the worker: [name|worker].
    lines = [line for _, line in captured.entries]
    for name in NAMES:
        assert any(f" [{name}|worker] " in line for line in lines), lines[-40:]


@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_json_format_every_line_parses_and_task_lines_have_connector_and_task(
        start_worker, broker, tmp_path, topic_name, worker_log, isolation):
    captured = worker_log("json")
    run_pipeline(start_worker, broker, tmp_path, topic_name, isolation)
    parsed = [orjson.loads(line) for line in captured.stream.getvalue().splitlines()]  # every line parses
    assert parsed and all({"timestamp", "level", "logger", "message", "connector", "task", "worker"} <= set(p)
                          for p in parsed)
    by_task = [p for p in parsed if p["task"] == 0 and p["connector"] in NAMES]
    assert {p["connector"] for p in by_task} == set(NAMES)
    assert all(p["worker"] for p in parsed[-5:])  # the worker id, once the worker started
    for record, line in task_entries(captured, isolation):
        entry = orjson.loads(line)
        assert entry["connector"] in NAMES and entry["task"] == 0, line


def test_librdkafka_lines_of_a_task_thread_carry_its_context(start_worker, tmp_path, topic_name, worker_log):
    """A library's lines on the task's thread: librdkafka's, served by the producer's poll."""
    from dbconnect.embedded.ports import free_port

    captured = worker_log("text")
    source = tmp_path / "in.txt"
    source.write_text("a-1\n")
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there: librdkafka logs FAIL lines
    worker = start_worker(**SCHEMALESS, **{"task.isolation": "thread", "producer.bootstrap.servers": nowhere,
                                           "task.shutdown.graceful.timeout.ms": "1000"})
    assert worker.put("/connectors/src/config", json={**source_config(source, "nowhere"), "name": "src"}).status_code == 201

    def librdkafka_line():
        return next((line for r, line in list(captured.entries) if r.name == "librdkafka" and nowhere in line), None)

    deadline = time.monotonic() + 30
    while librdkafka_line() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    line = librdkafka_line()
    assert line is not None, [line for _, line in captured.entries][-20:]
    assert " [src|task-0] " in line and "connector-producer-src-0" in line, line


def test_an_orphaned_task_processs_last_line_is_in_the_workers_log_format_with_its_context(broker, tmp_path):
    """kill -9 of the worker: the task process whose main thread is busy ends itself after the
    graceful timeout and says so on the shared stderr, as a JSON line when the worker logged JSON."""
    import signal

    from .test_task_process_worker_death import PLUGINS, start_worker_process, stop
    from .test_task_processes import process_gone, wait_for

    connector = {"name": "stuck", "connector.class": f"{PLUGINS}.BlockingConstructorSourceConnector",
                 "heartbeat.file": str(tmp_path / "unused.txt")}
    proc = start_worker_process(tmp_path, broker, connector, 1, **{"task.shutdown.graceful.timeout.ms": "1000",
                                                                    "log.format": "json"})
    pid_file = tmp_path / "task.pid"
    task = 0
    try:
        task = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), what="the task constructor to run"))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: process_gone(task), timeout=15, what=f"the orphaned, busy task process {task} to exit")
    finally:
        stop(proc, *([task] if task else []))
    lines = (tmp_path / "worker-1.log").read_text().splitlines()
    entries = [orjson.loads(line) for line in lines]  # every line parses, the orphan's last one too
    [gone] = [e for e in entries if "is gone; exiting" in e["message"]]
    assert gone["context"] == "[stuck|task-0]" and gone["connector"] == "stuck" and gone["task"] == 0, gone
    assert gone["message"] == f"Task process {task}: the worker (pid {proc.pid}) is gone; exiting"
