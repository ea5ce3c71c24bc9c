"""Task processes outlive neither their worker nor its graceful stop (issue 12 item 1).

The worker runs as a real ``dbconnect standalone`` subprocess with the default
``task.isolation`` (process), in a session of its own so that a signal to its process group
reaches the fork server and the task processes as Ctrl-C or a service manager would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .test_task_processes import heartbeats, process_gone, wait_for

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = "tests.integration.task_process_plugins"


def start_worker_process(tmp_path: Path, broker: Any, connector: dict[str, str] | None, run: int,
                         **overrides: str) -> subprocess.Popen:
    """``dbconnect standalone`` as a subprocess in a session of its own; ``connector``: its one
    connector file's config, or None for a worker with no connector."""
    props = {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
        "listeners": "http://127.0.0.1:0",
        **overrides,
    }
    worker_file = tmp_path / "worker.properties"
    worker_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    files = [str(worker_file)]
    if connector is not None:
        connector_file = tmp_path / "connector.json"
        connector_file.write_text(json.dumps(connector))
        files.append(str(connector_file))
    log = open(tmp_path / f"worker-{run}.log", "wb")  # noqa: SIM115 — closed with the process
    return subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", *files],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "TASK_PID_FILE": str(tmp_path / "task.pid")})


def stop(proc: subprocess.Popen, *pids: int) -> None:
    """Teardown: whatever the test left running (a failing run must not leave orphans behind)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
    for pid in pids:
        if not process_gone(pid):
            os.kill(pid, signal.SIGKILL)


def worker_log(tmp_path: Path, run: int) -> str:
    return (tmp_path / f"worker-{run}.log").read_text(errors="replace")[-3000:]


def test_worker_killed_with_sigkill_its_task_process_exits_and_writes_no_more(broker, tmp_path):
    beats = tmp_path / "heartbeat.txt"
    connector = {"name": "beat", "connector.class": f"{PLUGINS}.HeartbeatSourceConnector",
                 "heartbeat.file": str(beats)}
    proc = start_worker_process(tmp_path, broker, connector, 1)
    task = 0
    try:
        task = wait_for(lambda: heartbeats(beats) and heartbeats(beats)[-1][0], what="the task's first heartbeat")
        assert task != proc.pid  # the task runs in a process of its own
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # The orphan sees its pipe close and stops its task: promptly, not after some timeout.
        wait_for(lambda: process_gone(task), timeout=10, what=f"the orphaned task process {task} to exit")
        after = len(heartbeats(beats))
        # Its last beat came from that process; once it is gone, the file stays as it is.
        assert heartbeats(beats)[-1][0] == task and len(heartbeats(beats)) == after
    finally:
        stop(proc, *([task] if task else []))


def test_worker_killed_while_the_task_process_main_thread_is_busy_it_still_exits(broker, tmp_path):
    """The task's constructor never returns, so the task process's main thread never reads the
    pipe again: only its watch on the worker's pid (task_host.watch_worker) ends it."""
    connector = {"name": "stuck", "connector.class": f"{PLUGINS}.BlockingConstructorSourceConnector",
                 "heartbeat.file": str(tmp_path / "unused.txt")}
    proc = start_worker_process(tmp_path, broker, connector, 1, **{"task.shutdown.graceful.timeout.ms": "1000"})
    pid_file = tmp_path / "task.pid"
    task = 0
    try:
        task = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), what="the task constructor to run"))
        assert not process_gone(task)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # graceful timeout (1 s) for the pipe-EOF path, then the process ends itself.
        wait_for(lambda: process_gone(task), timeout=15, what=f"the orphaned, busy task process {task} to exit")
    finally:
        stop(proc, *([task] if task else []))


def test_worker_killed_with_sigkill_its_connector_process_exits_even_inside_start(broker, tmp_path):
    """The connector instance runs in a process of its own, here stuck in a start() that never
    returns: when the worker dies, its pipe-EOF path asks for a stop (queued behind start()), waits
    the 5 s connector shutdown bound and exits; no orphan is left behind."""
    pid_file = tmp_path / "connector.pid"
    connector = {"name": "hung", "connector.class": f"{PLUGINS}.HangingStartSourceConnector",
                 "heartbeat.file": str(tmp_path / "unused.txt"), "pid.file": str(pid_file)}
    proc = start_worker_process(tmp_path, broker, connector, 1)
    instance = 0
    try:
        instance = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), what="the connector's start()"))
        assert instance != proc.pid, "the connector instance runs in a process of its own"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: process_gone(instance), timeout=20, what=f"the orphaned connector process {instance} to exit")
    finally:
        stop(proc, *([instance] if instance else []))


@pytest.mark.parametrize("target", ["worker", "process group"])
def test_sigterm_stops_tasks_gracefully_and_commits_their_offsets(target, broker, tmp_path, topic_name):
    """SIGTERM to the worker (``kill``), or to its whole process group (Ctrl-C's SIGINT and
    systemd's stop signal every process of the group, task processes included): the worker
    stops its tasks, their offsets are committed, and a restarted worker goes on from there."""
    broker.create_topic(topic_name, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("line-1\nline-2\nline-3\n")
    connector = {"name": "file-source", "connector.class": "FileStreamSource", "file": str(source), "topic": topic_name}
    # Offsets are committed only when the task stops: a commit on the periodic flush would hide a lost one.
    proc = start_worker_process(tmp_path, broker, connector, 1, **{"offset.flush.interval.ms": "600000"})
    try:
        assert [m.value() for m in broker.consume(topic_name, 3, timeout=60)] == [b"line-1", b"line-2", b"line-3"]
        if target == "worker":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(30) == 0, worker_log(tmp_path, 1)
        output = worker_log(tmp_path, 1)
        assert "unexpectedly" not in output and "SIGKILL" not in output, output
        with source.open("a") as fh:
            fh.write("marker\n")
        proc = start_worker_process(tmp_path, broker, connector, 2, **{"offset.flush.interval.ms": "600000"})
        # A line read again (offsets lost) would reach the topic before the marker.
        values = [m.value() for m in broker.consume(topic_name, 4, timeout=60)]
        assert values == [b"line-1", b"line-2", b"line-3", b"marker"], worker_log(tmp_path, 2)
    finally:
        stop(proc)


def _children(pid: int) -> list[str]:
    """Command lines of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return found


def test_the_fork_server_starts_with_the_worker_not_with_its_first_task(broker, tmp_path):
    """The first connector POSTed to a fresh worker must not wait for the fork server to import the
    preloaded modules: the worker starts it while it starts, before any task exists."""
    proc = start_worker_process(tmp_path, broker, None, 1)
    try:
        found = wait_for(lambda: [c for c in _children(proc.pid) if "forkserver" in c] or proc.poll() is not None,
                         timeout=30, what="the worker's fork server (no connector created)")
        assert proc.poll() is None, worker_log(tmp_path, 1)
        assert found
    finally:
        stop(proc)
