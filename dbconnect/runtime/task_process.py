"""The supervisor side of ``task.isolation=process``: a task in a child process of its own.

``ProcessWorkerTask`` stands where a thread-mode ``WorkerTask`` stands in the Worker (start,
stop, await_stop, cancel, transition_to) but runs the task in a process started from a
multiprocessing *forkserver* whose interpreter has the worker's modules preloaded, so each task
process shares their pages instead of importing them again (child_process.py). The child (``task_host.main``)
runs the ordinary WorkerSourceTask/WorkerSinkTask. See docs/design/task-processes.md.

The supervisor's reader thread serves the child: statuses go to the worker's status store,
source offsets to the worker's offset store (the child's ``set`` returns only once stored),
log records to the worker's loggers; logger level changes (``log_levels``) go down to the child.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..api.errors import ConnectError
from .child_process import (FORKSERVER_PRELOAD, ChildPopen, ChildProcess, LevelsPush,  # noqa: F401 — re-exported
                            exit_description, process_context, start_fork_server, unserialisable)
from .log_context import LogContext, current_log_format, logging_context
from .log_levels import logger_levels
from .stores.configs import TargetState
from .stores.offsets import OffsetBackingStore
from .stores.status import ConnectorTaskId, State, Status, StatusBackingStore

log = logging.getLogger(__name__)

# The start machinery is shared with connector processes (child_process.py); these names stay
# importable from here.
_TaskPopen = ChildPopen
_TaskProcess = ChildProcess


def check_serialisable(what: str, task_id: ConnectorTaskId, config: Mapping[Any, Any]) -> None:
    """Refuse, naming the key, a config that cannot be sent to a task process."""
    problem = unserialisable(config)
    if problem is not None:
        raise ConnectError(f"The {what} of task {task_id} cannot be sent to its task process "
                           f"(task.isolation=process): {problem}")


class ProcessWorkerTask:
    """One task in its own process, as the Worker sees it."""

    def __init__(self, *, task_id: ConnectorTaskId, connector_config: Mapping[str, str],
                 task_config: Mapping[str, str], worker_props: Mapping[str, str], worker_id: str,
                 target_state: str, status_store: StatusBackingStore, offset_store: OffsetBackingStore,
                 graceful_timeout: float, on_exit: Callable[[Any], None] | None = None) -> None:
        self.id = task_id
        check_serialisable("connector config", task_id, connector_config)
        check_serialisable("task config", task_id, task_config)
        self._spec = {
            "task_id": tuple(task_id), "connector_config": dict(connector_config),
            "task_config": dict(task_config), "worker_props": dict(worker_props),
            "worker_id": worker_id, "target_state": target_state, "log_levels": logger_levels(),
            # The child ends itself if this process dies (task_host.watch_worker).
            "worker_pid": os.getpid(), "graceful_timeout": graceful_timeout, "log_format": current_log_format(),
        }
        self._status_store = status_store
        self._offset_store = offset_store
        self._worker_id = worker_id
        self.graceful_timeout = graceful_timeout
        self._on_exit = on_exit
        self._send_lock = threading.Lock()
        self._levels = LevelsPush(self._send, f"task-{task_id}", self._spec["log_levels"])
        self._stop_requested_at: float | None = None
        self._cancelled = False
        self._exited = threading.Event()
        self.failed = False
        self.process: Any = None
        self._conn: Any = None
        # The task's figures as its process last sent them (("metrics", snapshot), about once a
        # second and at exit); GET /metrics renders them (metrics.py).
        self._metrics_snapshot: dict[str, Any] | None = None
        self._reader = threading.Thread(target=self._serve, name=f"task-supervisor-{task_id}", daemon=True)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    # -- lifecycle driven by the Worker ----------------------------------------------------------
    def start(self) -> None:
        ctx = process_context()
        parent_end, child_end = ctx.Pipe(duplex=True)
        self._conn = parent_end
        self.process = ChildProcess(target=_child_main, args=(child_end, self._spec),
                                   name=f"task-{self.id}", daemon=False)
        try:
            self.process.start()
        except BaseException as exc:
            self._exited.set()
            self.failed = True
            self._put(State.FAILED, f"The task process of {self.id} could not be started: {exc!r}")
            if self._on_exit:
                self._on_exit(self)
            return
        finally:
            child_end.close()
        log.info("Task %s runs in process %s", self.id, self.process.pid)
        self._reader.start()

    def stop(self) -> None:
        if self._stop_requested_at is None:
            self._stop_requested_at = time.monotonic()
        self._send(("stop",))

    def await_stop(self, timeout: float) -> bool:
        # The process must be gone within task.shutdown.graceful.timeout.ms of the stop request
        # (a thread-mode task gets a few seconds more, as it cannot be killed anyway).
        if self._stop_requested_at is not None:
            timeout = min(timeout, max(0.0, self._stop_requested_at + self.graceful_timeout - time.monotonic()))
        return self._exited.wait(timeout)

    def cancel(self) -> None:
        """The graceful stop timed out: SIGKILL the process. It never writes again."""
        self._cancelled = True
        process = self.process
        if process is None or self._exited.is_set():
            return
        log.error("Graceful stop of task %s failed: killing its process %s (SIGKILL)", self.id, process.pid)
        process.kill()
        process.join(5.0)
        self.failed = True
        self._status_store.put_task(self.id, Status(
            State.FAILED, self._worker_id,
            f"The task process (pid {process.pid}) did not stop within task.shutdown.graceful.timeout.ms="
            f"{int(self.graceful_timeout * 1000)} and was killed by signal SIGKILL"))

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def stopping(self) -> bool:
        return self._stop_requested_at is not None

    @property
    def paused(self) -> bool:
        return self._spec["target_state"] == TargetState.PAUSED

    def metrics_snapshot(self) -> dict[str, Any] | None:
        return self._metrics_snapshot

    def transition_to(self, target_state: str) -> None:
        self._spec["target_state"] = target_state
        self._send(("target", target_state))

    # -- the pipe ----------------------------------------------------------------------------------
    def _send(self, message: tuple) -> None:
        if self._exited.is_set() or self._conn is None:
            return
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, EOFError, BrokenPipeError):
            pass  # the process is gone; the reader reports how it ended

    def _put(self, state: str, trace: str | None) -> None:
        if self._cancelled:
            return  # killed: whatever it still had queued is not its status any more
        self._status_store.put_task(self.id, Status(state, self._worker_id, trace))

    def _serve(self) -> None:
        # The supervisor's own lines (the process's end, a failed offset request) are the task's.
        with logging_context(LogContext.for_task(self.id)):
            self._serve_pipe()

    def _serve_pipe(self) -> None:
        conn = self._conn
        # /admin/loggers changes reach the child at once (log_levels.levels_changed).
        self._levels.subscribe()
        try:
            while True:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    break
                self._handle(message)
        finally:
            self._levels.unsubscribe()
            self._finish()

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "status":
            if message[1] == State.FAILED:
                self.failed = True
            self._put(message[1], message[2])
        elif kind == "metrics":
            self._metrics_snapshot = message[1]
        elif kind == "log":
            record = logging.makeLogRecord(message[1])
            logging.getLogger(record.name).handle(record)
        elif kind.startswith("offsets."):
            self._serve_offsets(kind, message[1], message[2:])

    def _serve_offsets(self, kind: str, rid: int, args: tuple) -> None:
        if self._cancelled:
            return  # a killed task commits nothing (it cannot ask either; this is belt and braces)
        try:
            if kind == "offsets.get":
                result: Any = self._offset_store.get(args[0])
            elif kind == "offsets.set":
                self._offset_store.set(args[0])
                result = None
            else:
                result = self._offset_store.items()
            reply = ("reply", rid, result, None)
        except Exception as exc:
            log.exception("Offset request %s of task %s failed", kind, self.id)
            reply = ("reply", rid, None, f"{type(exc).__name__}: {exc}")
        self._send(reply)

    def _finish(self) -> None:
        process = self.process
        process.join(self.graceful_timeout + 5.0)
        exitcode = process.exitcode
        self._exited.set()
        try:
            self._conn.close()
        except OSError:
            pass
        if exitcode == 0:
            log.info("The process of task %s (pid %s) ended", self.id, process.pid)
        elif not self._cancelled:
            how = exit_description(exitcode)
            log.error("The process of task %s (pid %s) %s", self.id, process.pid, how)
            self.failed = True
            self._put(State.FAILED, f"The task process (pid {process.pid}) {how} unexpectedly. "
                                    "Restart the task to bring it back.")
        if self._on_exit:
            self._on_exit(self)


def _child_main(conn: Any, spec: dict[str, Any]) -> None:
    from . import task_host

    task_host.main(conn, spec)
