"""The child side of ``task.isolation=process``: one task, run in a process of its own.

The process is started by ``task_process.ProcessWorkerTask`` (the supervisor, in the worker).
It rebuilds the task exactly as the worker builds it in thread mode (``Worker._build_task``:
converters, transformation chain, error handler with its DLQ producer, producer/consumer) and
runs the ordinary ``WorkerSourceTask``/``WorkerSinkTask`` loop on a thread; this process's main
thread serves the pipe to the supervisor. See docs/design/task-processes.md.

Messages child → parent (tuples): ``("status", state, trace)``, ``("log", record_dict)``,
``("metrics", snapshot)`` (the task's figures, every SNAPSHOT_INTERVAL and at exit),
``("offsets.get", rid, keys)``, ``("offsets.set", rid, values)``, ``("offsets.items", rid)``.
Parent → child: ``("stop",)``, ``("target", state)``, ``("levels", {logger: level})``,
``("reply", rid, result, error_text)``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..api.errors import ConnectError
# The child's pipe, log handler and setup are shared with connector processes (child_host.py);
# these names stay importable from here.
from .child_host import (Channel, PipeLogHandler, apply_levels, enter_child, ignore_group_signals,  # noqa: F401
                         watch_worker)
from .log_context import LIBRDKAFKA_LOGGER  # librdkafka's lines, in both isolations
from .stores.offsets import OffsetBackingStore
from .stores.status import ConnectorTaskId, State, Status, StatusBackingStore, format_trace
from .task_metrics import SNAPSHOT_INTERVAL

log = logging.getLogger(__name__)


class RemoteOffsetStore(OffsetBackingStore):
    """The worker's offset store, reached over the pipe: ``set`` returns once the worker stored it."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
        return self._channel.request("offsets.get", list(keys))

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        self._channel.request("offsets.set", dict(values))

    def items(self) -> list[tuple[bytes, bytes]]:
        return self._channel.request("offsets.items")


class RemoteStatusStore(StatusBackingStore):
    """Forwards this task's status to the worker; reads answer from what this process last put.

    Only the task's own status crosses (the WorkerTask reads it back to keep FAILED from being
    overwritten by a shutdown, and to show notes only while RUNNING).
    """

    def __init__(self, channel: Channel, initial: Status | None) -> None:
        self._channel = channel
        self._last = initial
        self._lock = threading.Lock()

    def put_connector(self, connector: str, status: Status) -> None:
        raise ConnectError("A task process does not report connector statuses")

    def put_task(self, task_id: ConnectorTaskId, status: Status) -> None:
        with self._lock:
            self._last = status
        try:
            self._channel.send(("status", status.state, status.trace))
        except OSError:
            pass  # the worker is gone (its pipe closed): nobody is left to report to

    def connector(self, connector: str) -> Status | None:
        return None

    def task(self, task_id: ConnectorTaskId) -> Status | None:
        with self._lock:
            return self._last

    def tasks(self, connector: str) -> dict[int, Status]:
        return {}

    def forget(self, connector: str) -> None:
        pass

    def forget_task(self, task_id: ConnectorTaskId) -> None:
        pass


def main(conn: Any, spec: dict[str, Any]) -> None:
    """The task process's entry point (the target of the supervisor's Process)."""
    task_id = ConnectorTaskId(*spec["task_id"])
    channel = enter_child(conn, spec, task_id)
    from . import worker_task

    worker_task.KEEP_INHERITED_FROZEN = True
    exited = threading.Event()
    worker_task = None
    try:
        worker_task = _build(channel, task_id, spec, on_exit=lambda _task: exited.set())
    except BaseException as exc:  # noqa: BLE001 — reported as the task's trace, as in thread mode
        log.error("Failed to start task %s", task_id, exc_info=True)
        channel.send(("status", State.FAILED, format_trace(exc)))
        exited.set()
    if worker_task is not None:
        worker_task.start()
        threading.Thread(target=_report_figures, args=(channel, worker_task, exited),
                         name="metrics-reporter", daemon=True).start()
    _serve(channel, worker_task, exited)
    if worker_task is not None:
        _send_figures(channel, worker_task)  # the final counts, after the task's close()
    channel.close()
    try:
        conn.close()
    finally:
        os._exit(0)  # no atexit/finalizers of inherited state: the task's clients are closed already


def _build(channel: Channel, task_id: ConnectorTaskId, spec: dict[str, Any], on_exit: Any) -> Any:
    from .plugins import Plugins
    from .worker import Worker
    from .worker_config import WorkerConfig

    config = WorkerConfig(spec["worker_props"])
    plugin_path = config.get("plugin.path")
    plugins = Plugins(plugin_path if isinstance(plugin_path, list) else None)
    status = RemoteStatusStore(channel, Status(State.UNASSIGNED, spec["worker_id"]))
    worker = Worker(config, plugins, RemoteOffsetStore(channel), status, worker_id=spec["worker_id"])
    # librdkafka's own log lines (%3|…|FAIL|…) would go straight to the inherited stderr without the
    # task's context; through a Python logger they reach PipeLogHandler and carry [name|task-N].
    worker.client_logger = logging.getLogger(LIBRDKAFKA_LOGGER)
    worker_task = worker._build_task(task_id, dict(spec["connector_config"]), dict(spec["task_config"]), spec["target_state"])
    worker_task._on_exit = on_exit
    return worker_task


def _report_figures(channel: Channel, worker_task: Any, exited: threading.Event) -> None:
    """Send the task's figures to the worker every SNAPSHOT_INTERVAL: one message a second, never
    one per record (the loops only bump plain attributes)."""
    while not exited.wait(SNAPSHOT_INTERVAL):
        if channel.closed or not _send_figures(channel, worker_task):
            return


def _send_figures(channel: Channel, worker_task: Any) -> bool:
    try:
        channel.send(("metrics", worker_task.metrics_snapshot()))
        return True
    except (OSError, ValueError):
        return False  # the worker is gone (or the pipe closed): nobody is left to report to
    except Exception:  # a figure that cannot be pickled (a connector's label): log, keep the task
        log.warning("The figures of task %s could not be sent to the worker", worker_task.id, exc_info=True)
        return False


def _serve(channel: Channel, worker_task: Any, exited: threading.Event) -> None:
    """Serve the pipe until the task has exited (or the worker is gone: then stop the task)."""
    conn = channel.conn
    while not exited.is_set():
        try:
            if not conn.poll(0.2):
                continue
            message = conn.recv()
        except (EOFError, OSError):
            # The worker died or closed the pipe: stop as if asked, nothing more can be committed.
            channel.close()
            if worker_task is not None:
                worker_task.stop()
                worker_task.await_stop(float(getattr(worker_task, "graceful_timeout", 5.0)))
            return
        kind = message[0]
        if kind == "reply":
            channel.deliver(*message[1:])
        elif kind == "stop" and worker_task is not None:
            worker_task.stop()
        elif kind == "target" and worker_task is not None:
            worker_task.transition_to(message[1])
        elif kind == "levels":
            apply_levels(message[1])
