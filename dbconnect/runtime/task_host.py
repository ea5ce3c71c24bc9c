"""The child side of ``task.isolation=process``: one task, run in a process of its own.

The process is started by ``task_process.ProcessWorkerTask`` (the supervisor, in the worker).
It rebuilds the task exactly as the worker builds it in thread mode (``Worker._build_task``:
converters, transformation chain, error handler with its DLQ producer, producer/consumer) and
runs the ordinary ``WorkerSourceTask``/``WorkerSinkTask`` loop on a thread; this process's main
thread serves the pipe to the supervisor. See docs/design/task-processes.md.

Messages child → parent (tuples): ``("status", state, trace)``, ``("log", record_dict)``,
``("offsets.get", rid, keys)``, ``("offsets.set", rid, values)``, ``("offsets.items", rid)``.
Parent → child: ``("stop",)``, ``("target", state)``, ``("levels", {logger: level})``,
``("reply", rid, result, error_text)``.
"""

from __future__ import annotations

import gc
import logging
import os
import select
import signal
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..api.errors import ConnectError
from .stores.offsets import OffsetBackingStore
from .stores.status import ConnectorTaskId, State, Status, StatusBackingStore, format_trace

log = logging.getLogger(__name__)


class Channel:
    """The child's end of the pipe: sends from any thread; requests wait for their reply."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._send_lock = threading.Lock()
        self._pending: dict[int, list[Any]] = {}
        self._next_id = 0
        self._replies = threading.Condition()
        self.closed = False

    def send(self, message: tuple) -> None:
        with self._send_lock:
            self.conn.send(message)

    def request(self, kind: str, *args: Any) -> Any:
        with self._replies:
            self._next_id += 1
            rid = self._next_id
            self._pending[rid] = []
        self.send((kind, rid, *args))
        with self._replies:
            while not self._pending[rid] and not self.closed:
                self._replies.wait(0.5)
            reply = self._pending.pop(rid)
        if not reply:
            raise ConnectError(f"The worker closed the pipe before answering {kind}")
        result, error = reply[0]
        if error is not None:
            raise ConnectError(f"The worker could not serve {kind}: {error}")
        return result

    def deliver(self, rid: int, result: Any, error: str | None) -> None:
        with self._replies:
            if rid in self._pending:
                self._pending[rid].append((result, error))
            self._replies.notify_all()

    def close(self) -> None:
        with self._replies:
            self.closed = True
            self._replies.notify_all()


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


# The logger librdkafka's log lines go to in a task process (confluent-kafka's ``logger`` setting).
LIBRDKAFKA_LOGGER = "librdkafka"


class PipeLogHandler(logging.Handler):
    """Sends each record to the worker, which logs it through its own handlers (one log stream).

    The message is formatted here (arguments need not be picklable) and prefixed with the
    task's context, as Kafka Connect's ``connector.context`` MDC does: ``[name|task-0] ``.
    """

    def __init__(self, channel: Channel, task_id: ConnectorTaskId) -> None:
        super().__init__()
        self._channel = channel
        self._context = f"[{task_id.connector}|task-{task_id.task}] "

    def emit(self, record: logging.LogRecord) -> None:
        if self._channel.closed:
            return
        try:
            message = self._context + record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            fields = dict(record.__dict__)
            fields.update(msg=message, args=None, exc_info=None, connector_context=self._context.strip())
            fields.pop("message", None)
            self._channel.send(("log", fields))
        except Exception:  # never let logging break the task; the pipe may be gone
            self.handleError(record)


def apply_levels(levels: Mapping[str, int]) -> None:
    """Set this process's logger levels to the worker's (``""`` is the root logger)."""
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)


def ignore_group_signals() -> None:
    """Leave SIGINT and SIGTERM to the worker, which stops its tasks itself.

    Ctrl-C in a terminal and systemd's default ``KillMode=control-group`` signal the whole process
    group / cgroup, task processes included. With Python's default handlers a task process would
    die at once (SIGTERM) or raise KeyboardInterrupt in its pipe loop (SIGINT) — before its task
    committed its offsets — while the worker is about to stop it gracefully anyway. The worker's
    graceful stop, and SIGKILL after ``task.shutdown.graceful.timeout.ms``, still end it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def watch_worker(worker_pid: int | None, grace: float) -> threading.Thread | None:
    """End this process if the worker dies, even when the main thread is busy.

    The main thread notices the worker's death as EOF on the pipe and stops the task; but it
    may be busy (a task class whose constructor blocks, a transition that hangs) and never read
    the pipe again. This thread waits for the worker's exit on a pidfd (the kernel's "process
    ended" notification), gives the pipe-EOF path ``grace`` seconds, then ends the process: with
    the worker gone nothing the task does can be committed any more, and it must not keep
    writing. (PR_SET_PDEATHSIG does not fit: the parent of a task process is the fork server,
    not the worker, and the fork server dies of the SIGTERM a service manager sends to the whole
    group, which would kill every task before its graceful stop.)
    """
    if not worker_pid:
        return None
    thread = threading.Thread(target=_await_worker_exit, args=(worker_pid, grace), name="worker-watch", daemon=True)
    thread.start()
    return thread


def _await_worker_exit(worker_pid: int, grace: float) -> None:
    try:
        fd = os.pidfd_open(worker_pid)
    except (AttributeError, OSError):  # no pidfd (old kernel, not Linux): poll instead
        fd = None
    if fd is not None:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll()  # readable once the worker has exited
    else:
        while _alive(worker_pid):
            threading.Event().wait(0.5)
    deadline = threading.Event()
    deadline.wait(grace)  # the pipe-EOF path stops the task meanwhile and exits, if it can
    os.write(2, f"Task process {os.getpid()}: the worker (pid {worker_pid}) is gone; exiting\n".encode())
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(conn: Any, spec: dict[str, Any]) -> None:
    """The task process's entry point (the target of the supervisor's Process)."""
    # Everything inherited from the fork server goes to the permanent generation first (a list
    # merge, nothing traversed): no collection in this process ever walks those objects, which
    # would write to the pages this process shares with the fork server and its siblings.
    gc.freeze()
    ignore_group_signals()
    watch_worker(spec.get("worker_pid"), float(spec.get("graceful_timeout", 5.0)))
    from . import worker_task

    worker_task.KEEP_INHERITED_FROZEN = True
    channel = Channel(conn)
    task_id = ConnectorTaskId(*spec["task_id"])
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(PipeLogHandler(channel, task_id))
    apply_levels(spec["log_levels"])
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
    _serve(channel, worker_task, exited)
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
