"""What the child processes of ``task.isolation=process`` share: the child's side of the pipe.

Task processes (``task_host``) and connector processes (``connector_host``) both run this
setup: the inherited heap frozen, group signals left to the worker, a watch on the worker's pid,
one log handler that sends each record up the pipe with the child's context prefix, and the
worker's logger levels. See docs/design/task-processes.md.
"""

from __future__ import annotations

import gc
import logging
import os
import select
import signal
import threading
from collections.abc import Mapping
from typing import Any

from ..api.errors import ConnectError
from .log_context import LogContext, context_fields, current_context, formatter_for
from .stores.status import ConnectorTaskId


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


def child_log_context(context: ConnectorTaskId | str | LogContext) -> LogContext:
    """A child's context: a task's (``[name|task-0]``), or a connector's from its name (Kafka's
    LoggingContext.forConnector, ``[name|worker]``)."""
    if isinstance(context, ConnectorTaskId):
        return LogContext.for_task(context)
    if isinstance(context, str):
        return LogContext.for_connector(context)
    return context


class PipeLogHandler(logging.Handler):
    """Sends each record to the worker, which logs it through its own handlers (one log stream).

    The message is formatted here (arguments need not be picklable). The record carries the
    child's context in ``connector_context``/``connector``/``task`` (log_context.py), as Kafka
    Connect's ``connector.context`` MDC does: ``[name|task-0] `` for a task (``|offsets`` while
    it commits), ``[name|worker] `` for a connector instance. The worker keeps these fields when
    it re-emits the record; its formatter shows them.
    """

    def __init__(self, channel: Channel, context: ConnectorTaskId | str | LogContext) -> None:
        super().__init__()
        self._channel = channel
        # Set once for the whole process: every thread of a child works for the same connector/task.
        self._context = child_log_context(context)

    def emit(self, record: logging.LogRecord) -> None:
        if self._channel.closed:
            return
        try:
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            fields = dict(record.__dict__)
            fields.update(msg=message, args=None, exc_info=None)
            # The thread's own context (a task's |offsets scope) when set, else the process's.
            fields.update(context_fields(current_context() or self._context))
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


def watch_worker(worker_pid: int | None, grace: float, context: LogContext | None = None,
                 log_format: str = "text", worker_id: str | None = None) -> threading.Thread | None:
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
    thread = threading.Thread(target=_await_worker_exit, args=(worker_pid, grace, context, log_format, worker_id),
                              name="worker-watch", daemon=True)
    thread.start()
    return thread


def _await_worker_exit(worker_pid: int, grace: float, context: LogContext | None = None, log_format: str = "text",
                       worker_id: str | None = None) -> None:
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
    # Straight to the stderr the worker shared (its pipe is gone), as one line of the worker's log:
    # its format (a log shipper parses every line of a json log) and the task's context.
    record = logging.LogRecord(__name__, logging.WARNING, __file__, 0,
                               f"Task process {os.getpid()}: the worker (pid {worker_pid}) is gone; exiting", None, None)
    record.__dict__.update(context_fields(context), worker_id=worker_id)
    try:
        line = formatter_for(log_format).format(record)
    except ValueError:
        line = record.getMessage()
    os.write(2, (line + "\n").encode())
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def enter_child(conn: Any, spec: Mapping[str, Any], context: ConnectorTaskId | LogContext) -> Channel:
    """The first steps of every child process: returns its end of the pipe, logging through it."""
    # Everything inherited from the fork server goes to the permanent generation first (a list
    # merge, nothing traversed): no collection in this process ever walks those objects, which
    # would write to the pages this process shares with the fork server and its siblings.
    gc.freeze()
    ignore_group_signals()
    log_context = child_log_context(context)
    watch_worker(spec.get("worker_pid"), float(spec.get("graceful_timeout", 5.0)), log_context,
                 spec.get("log_format", "text"), spec.get("worker_id"))
    channel = Channel(conn)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(PipeLogHandler(channel, log_context))
    apply_levels(spec["log_levels"])
    return channel
