"""The supervisor side of a connector process: a connector instance in a child process of its own.

With ``task.isolation=process`` the Worker keeps a ``ProcessWorkerConnector`` where thread mode
keeps a ``WorkerConnector``; the instance itself (``Connector.start``, ``task_configs``,
``stop``) runs in ``connector_host.main``, started from the fork server of task processes
(child_process.py). What this buys (docs/design/task-processes.md, "Connector processes"):

- ``start()`` is asynchronous: the worker (and the herder's lock) never waits for it. The
  connector shows UNASSIGNED until the child reports that start() returned; then RUNNING (or
  PAUSED), and ``on_started`` lets the herder configure the tasks; a failure is FAILED with the
  child's trace, as in thread mode.
- ``task_configs()`` is a call into the child bounded by a timeout (it runs on the herder's path).
- ``stop()`` is bounded by Kafka's connector graceful shutdown timeout and ends in SIGKILL: no
  thread is abandoned in the worker.
- A child that dies (kill -9, a segfault in a driver) is FAILED with the signal in its trace.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..api.errors import ConnectError
from .child_process import ChildProcess, LevelsPush, exit_description, process_context, unserialisable
from .log_context import LogContext, current_log_format, logging_context
from .log_levels import logger_levels
from .stores.configs import TargetState
from .stores.status import State, Status, StatusBackingStore

log = logging.getLogger(__name__)


class RemoteConnectorError(ConnectError):
    """A call into the connector process failed: ``trace`` is the exception's trace there."""

    def __init__(self, message: str, trace: str) -> None:
        super().__init__(message)
        self.trace = trace


class ProcessWorkerConnector:
    """One connector instance in its own process, as the Worker sees it."""

    def __init__(self, *, name: str, config: Mapping[str, str], worker_props: Mapping[str, str], worker_id: str,
                 target_state: str, status_store: StatusBackingStore, graceful_timeout: float,
                 on_reconfigure: Callable[[str], None], on_error: Callable[[str, str], None],
                 on_started: Callable[[bool], None] | None) -> None:
        problem = unserialisable(config)
        if problem is not None:
            raise ConnectError(f"The config of connector {name} cannot be sent to its connector process "
                               f"(task.isolation=process): {problem}")
        self.name = name
        self.config = dict(config)
        self.target_state = target_state
        self._spec = {
            "name": name, "config": dict(config), "worker_props": dict(worker_props), "worker_id": worker_id,
            "log_levels": logger_levels(),
            # The child ends itself if this process dies (child_host.watch_worker).
            "worker_pid": os.getpid(), "graceful_timeout": graceful_timeout, "log_format": current_log_format(),
        }
        self._status_store = status_store
        self._worker_id = worker_id
        self._on_reconfigure = on_reconfigure
        self._on_error = on_error
        self._on_started = on_started
        self._send_lock = threading.Lock()
        self._levels = LevelsPush(self._send, f"connector-{name}", self._spec["log_levels"])
        self._replies = threading.Condition()
        self._pending: dict[int, list[tuple[Any, str | None]]] = {}
        self._next_id = 0
        self._start_rid: int | None = None
        # task_configs() calls that timed out and have not returned yet: the connector thread in the
        # child is still inside one, so a new call would only queue behind it.
        self._abandoned: set[int] = set()
        self._started = False
        self._raised = False  # ConnectorContext.raise_error() was called: FAILED stays (as in Kafka)
        self._stopping = False
        self._exited = threading.Event()
        self.process: Any = None
        self._conn: Any = None
        self._reader = threading.Thread(target=self._serve, name=f"connector-supervisor-{name}", daemon=True)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def started(self) -> bool:
        """start() returned in the child, and the child still runs."""
        return self._started and not self._exited.is_set()

    # -- lifecycle driven by the Worker ----------------------------------------------------------
    def start(self) -> None:
        """Start the process and ask it to start the connector; returns without waiting for it."""
        self._put(State.UNASSIGNED)
        parent_end, child_end = process_context().Pipe(duplex=True)
        self._conn = parent_end
        self.process = ChildProcess(target=_child_main, args=(child_end, self._spec),
                                    name=f"connector-{self.name}", daemon=False)
        try:
            self.process.start()
        except BaseException as exc:
            self._exited.set()
            self._put(State.FAILED, f"The connector process of {self.name} could not be started: {exc!r}")
            self._settle(False)
            return
        finally:
            child_end.close()
        log.info("Connector %s runs in process %s", self.name, self.process.pid)
        self._start_rid = self._register()
        self._reader.start()
        self._send(("start", self._start_rid))

    def task_configs(self, max_tasks: int, timeout: float) -> tuple[list[dict[str, str]], str, bool]:
        """The connector's task configs, its task class name and whether it is a sink."""
        if not self.started:
            raise ConnectError(f"Connector {self.name} is not running")
        if self._abandoned:
            raise ConnectError(f"Connector {self.name} has still not returned from an earlier task_configs() call "
                               f"in its connector process (pid {self.pid}); restart or delete it")
        rid = self._register()
        self._send(("task_configs", rid, max_tasks))
        deadline = time.monotonic() + timeout
        with self._replies:
            while not self._pending[rid] and not self._exited.is_set() and time.monotonic() < deadline:
                self._replies.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            reply = self._pending.pop(rid)
            if not reply and not self._exited.is_set():
                self._abandoned.add(rid)
        if not reply:
            if self._exited.is_set():
                raise ConnectError(f"The connector process of {self.name} (pid {self.pid}) ended before it returned "
                                   "its task configs")
            raise ConnectError(
                f"Connector {self.name} did not return its task configs within {timeout:g} s: task_configs() of "
                f"{self.config.get('connector.class')} is still running in its connector process (pid {self.pid}). "
                "The connector is failed; restart or delete it once the cause (a database that does not answer, "
                "a plugin bug) is fixed.")
        result, trace = reply[0]
        if trace is not None:
            raise RemoteConnectorError(f"Connector {self.name} failed to generate task configs", trace)
        return result

    def stop(self, timeout: float) -> None:
        """Ask the instance to stop; SIGKILL its process if it is not gone within ``timeout``."""
        self._stopping = True
        try:
            self._stop_process(timeout)
        finally:
            self._settle(False)

    def _stop_process(self, timeout: float) -> None:
        process = self.process
        if process is None or self._exited.is_set():
            return
        self._send(("stop",))
        if self._exited.wait(timeout):
            return
        log.error("Connector '%s' failed to properly shut down within %.0f s, has become unresponsive: killing its "
                  "process %s (SIGKILL)", self.name, timeout, process.pid)
        try:
            process.kill()
        except OSError:
            pass
        if not self._exited.wait(5.0):
            log.error("The process %s of connector '%s' did not end after SIGKILL", process.pid, self.name)

    def transition_to(self, target_state: str) -> None:
        # The instance does not act on pause/resume (Kafka's connectors neither); remembered for the
        # status reported once start() returns.
        self.target_state = target_state

    # -- the pipe ----------------------------------------------------------------------------------
    def _register(self) -> int:
        with self._replies:
            self._next_id += 1
            self._pending[self._next_id] = []
            return self._next_id

    def _send(self, message: tuple) -> None:
        if self._exited.is_set() or self._conn is None:
            return
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, EOFError, BrokenPipeError):
            pass  # the process is gone; the reader reports how it ended

    def _put(self, state: str, trace: str | None = None) -> None:
        if self._stopping:
            return  # stopped or replaced: whatever it still had queued is not its status any more
        self._status_store.put_connector(self.name, Status(state, self._worker_id, trace))

    def _settle(self, ok: bool) -> None:
        """Tell the herder, once, how start() ended (False too when stopped before it returned)."""
        callback, self._on_started = self._on_started, None
        if callback is not None:
            callback(ok and not self._stopping)

    def _serve(self) -> None:
        # The supervisor's own lines (the process's end) are the connector's: [name|worker].
        with logging_context(LogContext.for_connector(self.name)):
            self._serve_pipe()

    def _serve_pipe(self) -> None:
        self._levels.subscribe()
        try:
            while True:
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    break
                self._handle(message)
        finally:
            self._levels.unsubscribe()
            self._finish()

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "reply":
            rid, result, trace = message[1:]
            if rid == self._start_rid:
                self._start_returned(trace)
                return
            with self._replies:
                if rid in self._pending:
                    self._pending[rid].append((result, trace))
                self._abandoned.discard(rid)  # a reply after its timeout is dropped
                self._replies.notify_all()
        elif kind == "log":
            record = logging.makeLogRecord(message[1])
            logging.getLogger(record.name).handle(record)
        elif kind == "reconfigure":
            if self.started and not self._stopping:
                self._on_reconfigure(self.name)
        elif kind == "error":
            if not self._stopping:
                self._raised = True
                self._on_error(self.name, message[1])

    def _start_returned(self, trace: str | None) -> None:
        with self._replies:
            self._pending.pop(self._start_rid, None)
        if trace is None:
            self._started = True
            # raise_error() from one of its threads during start() came first (one pipe, in order):
            # the connector stays FAILED, as Kafka's WorkerConnector refuses to leave FAILED.
            if not self._raised:
                self._put(State.PAUSED if self.target_state == TargetState.PAUSED else State.RUNNING)
            self._settle(True)
        else:
            self._put(State.FAILED, trace)
            self._settle(False)

    def _finish(self) -> None:
        process = self.process
        process.join(10.0)
        exitcode = process.exitcode
        self._exited.set()
        with self._replies:
            self._replies.notify_all()
        try:
            self._conn.close()
        except OSError:
            pass
        if not self._stopping:
            how = exit_description(exitcode)
            log.error("The process of connector %s (pid %s) %s", self.name, process.pid, how)
            self._put(State.FAILED, f"The connector process (pid {process.pid}) {how} unexpectedly. "
                                    "Restart the connector to bring it back.")
            self._settle(False)


def _child_main(conn: Any, spec: dict[str, Any]) -> None:
    from . import connector_host

    connector_host.main(conn, spec)
