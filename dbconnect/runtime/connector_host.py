"""The child side of a connector process (``task.isolation=process``): one connector instance.

Started by ``connector_process.ProcessWorkerConnector`` (the supervisor, in the worker) from the
same fork server as task processes. The instance is created, started, asked for task configs
and stopped on one thread of its own (``connector-<name>``), in the order the worker asks; this
process's main thread serves the pipe, so a ``start()`` or ``task_configs()`` that hangs never
keeps a ``stop`` request or a logger level change from being read. See
docs/design/task-processes.md, "Connector processes".

Parent → child: ``("start", rid)``, ``("task_configs", rid, max_tasks)``, ``("stop",)``,
``("levels", {logger: level})``.
Child → parent: ``("reply", rid, result, trace_or_None)``, ``("reconfigure",)`` and
``("error", trace)`` (the ConnectorContext's two calls), ``("log", record_dict)``.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Mapping
from typing import Any

from ..api.connector import Connector, ConnectorContext, SinkConnector
from ..api.errors import ConnectError
from .child_host import Channel, apply_levels, enter_child
from .log_context import LogContext
from .child_process import unserialisable
from .stores.status import format_trace

log = logging.getLogger(__name__)


class ChildConnectorContext(ConnectorContext):
    """The connector's context in its process: both calls go up the pipe to the worker's herder.

    Called from any of the connector's threads (the JDBC source's table monitor); a send only
    queues bytes in the pipe, so the connector never waits for the herder.
    """

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def request_task_reconfiguration(self) -> None:
        self._send(("reconfigure",))

    def raise_error(self, error: BaseException) -> None:
        log.error("Connector raised an error", exc_info=error)
        self._send(("error", format_trace(error)))

    def _send(self, message: tuple) -> None:
        if self._channel.closed:
            return
        try:
            self._channel.send(message)
        except OSError:
            pass  # the worker is gone: nobody is left to tell


def task_configs_for_the_worker(connector: Connector, max_tasks: int) -> tuple[list[dict[str, str]], str, bool]:
    """``task_configs()`` as the worker receives it: str → str maps (as ``Worker.connector_task_configs``
    makes them), the task class's import name, and whether the connector is a sink."""
    configs = [{str(k): str(v) for k, v in c.items()} for c in (connector.task_configs(max_tasks) or [])]
    for index, config in enumerate(configs):
        problem = unserialisable(config)
        if problem is not None:
            raise ConnectError(f"Task config {index} of this connector cannot be sent from its connector process "
                               f"to the worker (task.isolation=process): {problem}")
    task_cls = connector.task_class()
    return configs, f"{task_cls.__module__}.{task_cls.__qualname__}", isinstance(connector, SinkConnector)


class ConnectorRunner:
    """Runs the worker's calls on the connector instance, one at a time, on its own thread."""

    def __init__(self, channel: Channel, spec: Mapping[str, Any]) -> None:
        self._channel = channel
        self._spec = spec
        self.calls: queue.Queue[tuple] = queue.Queue()
        self.connector: Connector | None = None
        self.started = False
        self.thread = threading.Thread(target=self._run, name=f"connector-{spec['name']}", daemon=True)

    def _run(self) -> None:
        while True:
            message = self.calls.get()
            if message[0] == "stop":
                self._stop()
                return
            kind, rid = message[0], message[1]
            try:
                result = self._start() if kind == "start" else task_configs_for_the_worker(self.connector, message[2])
                reply: tuple = ("reply", rid, result, None)
            except BaseException as exc:  # noqa: BLE001 — the worker reports it as the connector's trace
                log.error("Failed to %s connector %s", "start" if kind == "start" else "generate task configs of",
                          self._spec["name"], exc_info=True)
                reply = ("reply", rid, None, format_trace(exc))
            try:
                self._channel.send(reply)
            except OSError:
                return  # the worker is gone; the main thread stops us

    def _start(self) -> None:
        from .plugins import Plugins
        from .worker_config import WorkerConfig

        plugin_path = WorkerConfig(self._spec["worker_props"]).get("plugin.path")
        plugins = Plugins(plugin_path if isinstance(plugin_path, list) else None)
        connector = plugins.new_connector(self._spec["config"]["connector.class"])
        connector.initialize(ChildConnectorContext(self._channel))
        self.connector = connector
        connector.start(dict(self._spec["config"]))
        self.started = True

    def _stop(self) -> None:
        # As in thread mode: stop() only for an instance whose start() returned.
        if self.connector is not None and self.started:
            try:
                self.connector.stop()
            except Exception:
                log.exception("Error while stopping connector %s", self._spec["name"])


def main(conn: Any, spec: dict[str, Any]) -> None:
    """The connector process's entry point (the target of the supervisor's Process)."""
    name = spec["name"]
    # Kafka's LoggingContext.forConnector: the instance's lines carry ``[name|worker]``.
    channel = enter_child(conn, spec, LogContext.for_connector(name))
    runner = ConnectorRunner(channel, spec)
    runner.thread.start()
    while runner.thread.is_alive():
        try:
            if not conn.poll(0.2):
                continue
            message = conn.recv()
        except (EOFError, OSError):
            # The worker died or closed the pipe: stop as if asked (the worker-watch thread ends
            # this process if stop() does not return in time).
            channel.close()
            runner.calls.put(("stop",))
            runner.thread.join(float(spec.get("graceful_timeout", 5.0)))
            break
        if message[0] == "levels":
            apply_levels(message[1])
        else:
            runner.calls.put(message)
    channel.close()
    try:
        conn.close()
    finally:
        os._exit(0)  # no atexit/finalizers of inherited state
