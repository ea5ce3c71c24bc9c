"""Connectors for the task-process tests (task.isolation=process): tasks that misbehave."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping

from dbconnect.api.connector import SourceConnector
from dbconnect.api.errors import ConnectError
from dbconnect.api.task import SourceTask

log = logging.getLogger(__name__)


class _OneTaskSource(SourceConnector):
    task_cls: type = SourceTask

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self):
        return self.task_cls

    def task_configs(self, max_tasks: int):
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def config(self):
        return {"type": "object", "properties": {}}

    def version(self) -> str:
        return "1.0"


class HeartbeatTask(SourceTask):
    """Appends ``<pid> <n>`` to ``heartbeat.file`` on every poll; produces nothing.

    With ``ignore.stop=true`` its poll() never returns once started and stop() is ignored: a
    zombie that keeps writing until its process is killed.
    """

    def start(self, props: Mapping[str, str]) -> None:
        self.file = props["heartbeat.file"]
        self.ignore_stop = props.get("ignore.stop") == "true"
        self.stopped = threading.Event()
        self.beats = 0

    def _beat(self) -> None:
        self.beats += 1
        with open(self.file, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {self.beats}\n")
        log.warning("heartbeat %d", self.beats)
        log.debug("debug heartbeat %d", self.beats)

    def poll(self):
        if self.ignore_stop:
            while True:
                self._beat()
                time.sleep(0.05)  # the zombie's pace, not a synchronisation
        self._beat()
        self.stopped.wait(0.1)
        return []

    def stop(self) -> None:
        if not self.ignore_stop:
            self.stopped.set()

    def version(self) -> str:
        return "1.0"


class HeartbeatSourceConnector(_OneTaskSource):
    task_cls = HeartbeatTask


class FailingStartTask(HeartbeatTask):
    def start(self, props: Mapping[str, str]) -> None:
        raise ConnectError("boom: this task never starts")


class FailingStartSourceConnector(_OneTaskSource):
    task_cls = FailingStartTask


class UnpicklableConfigSourceConnector(_OneTaskSource):
    """Hands its task a config value that cannot be pickled: a str of a class local to a call.

    ``str(v)`` (what the worker applies to task config values) returns what ``__str__``
    returns when that is a str subclass instance, so the unpicklable value reaches the worker.
    """

    task_cls = HeartbeatTask

    def task_configs(self, max_tasks: int):
        class LocalStr(str):
            pass

        class Handle:
            def __str__(self):
                return LocalStr("not picklable")

        return [{**self.props, "handle": Handle()}]


class BlockingConstructorTask(HeartbeatTask):
    """Its constructor writes ``<pid>`` to ``TASK_PID_FILE`` and never returns.

    The task process builds its task on its main thread, the one that reads the pipe: that
    thread stays busy forever, so the process never sees the pipe close.
    """

    def __init__(self) -> None:
        path = os.environ.get("TASK_PID_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(str(os.getpid()))
        while True:
            time.sleep(1)  # busy for good: a constructor blocked in a driver, say


class BlockingConstructorSourceConnector(_OneTaskSource):
    task_cls = BlockingConstructorTask


# Set by the test at teardown: lets a hung Connector.stop() return so that no thread outlives it.
RELEASE_HUNG_STOP = threading.Event()


class HangingStopSourceConnector(_OneTaskSource):
    """``stop()`` never returns (until the test releases it): a connector stuck in a driver call."""

    task_cls = HeartbeatTask

    def stop(self) -> None:
        RELEASE_HUNG_STOP.wait()


# -- connector instances that misbehave (test_connector_processes.py) ------------------------------

def _write_pid(props: Mapping[str, str]) -> None:
    """Writes this process's pid to ``pid.file`` (the connector's process, in process mode)."""
    path = props.get("pid.file")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(str(os.getpid()))


def _block_forever() -> None:
    while True:
        time.sleep(1)  # blocked for good: a database that does not answer, say


class HangingStartSourceConnector(_OneTaskSource):
    """``start()`` never returns."""

    task_cls = HeartbeatTask

    def start(self, props: Mapping[str, str]) -> None:
        _write_pid(props)
        _block_forever()


class HangingTaskConfigsSourceConnector(_OneTaskSource):
    """``start()`` returns; ``task_configs()`` never does."""

    task_cls = HeartbeatTask

    def start(self, props: Mapping[str, str]) -> None:
        super().start(props)
        _write_pid(props)

    def task_configs(self, max_tasks: int):
        _block_forever()


class ChattySourceConnector(_OneTaskSource):
    """Logs ``connector tick N`` at WARNING and ``connector debug tick N`` at DEBUG from a thread of
    its own, every 0.1 s until stopped; with ``raise.error`` set, calls ``context.raise_error`` from
    that thread instead (as the JDBC source's table monitor does when tables collide)."""

    task_cls = HeartbeatTask

    def start(self, props: Mapping[str, str]) -> None:
        super().start(props)
        _write_pid(props)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="chatty-connector", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        if self.props.get("raise.error"):
            self.context.raise_error(ConnectError(self.props["raise.error"]))
            return
        tick = 0
        while not self.stopped.wait(0.1):
            tick += 1
            log.warning("connector tick %d", tick)
            log.debug("connector debug tick %d", tick)

    def stop(self) -> None:
        self.stopped.set()
