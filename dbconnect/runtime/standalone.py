"""StandaloneHerder: one worker, configs in memory, offsets in a file (connect-standalone)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from confluent_kafka.admin import AdminClient

from ..api.errors import BadRequestError, NotFoundError
from . import connector_offsets as offsets_ops
from .abstract_herder import NOT_STOPPED, AbstractHerder
from .herder_entities import ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, Message
from .stores.configs import MemoryConfigBackingStore, TargetState
from .stores.status import ConnectorTaskId, MemoryStatusBackingStore, State, Status
from .worker import Worker

log = logging.getLogger(__name__)

# How long a PUT/POST of a connector waits for its start() (and its task configs) before it answers
# anyway, in process mode, where start() runs in the connector's process and the herder's lock is
# not held meanwhile. Kafka's REST call waits up to its 90 s request timeout and then answers 500;
# here the connector exists once its config is stored, so the answer is 201/200 with the tasks
# known by then (none while start() still runs) and the status shows UNASSIGNED until it returns.
CONNECTOR_START_WAIT = 10.0



class StandaloneHerder(AbstractHerder):
    def __init__(self, worker: Worker) -> None:
        super().__init__(worker.plugins, MemoryConfigBackingStore(), worker.status_store
                         if worker.status_store is not None else MemoryStatusBackingStore())
        self.worker = worker
        config = getattr(worker, "config", None)  # (a unit test's fake worker has none)
        self.validator.topic_creation_enabled = bool(config.get("topic.creation.enable", True)) if config else True
        self.config_transformer = getattr(worker, "config_transformer", None)
        # config.action.reload=restart: a connector whose provider values expire is restarted then.
        worker.on_config_ttl = self._schedule_reload
        self._reloads: dict[str, threading.Timer] = {}
        # Every mutation runs under this lock, like the herder's single tick thread in Kafka.
        self._lock = threading.RLock()
        self._ready = threading.Event()
        self._cluster_id: str | None = None

    # -- identity ----------------------------------------------------------------------------------
    @property
    def worker_id(self) -> str:
        return self.worker.worker_id

    def kafka_cluster_id(self) -> str | None:
        if self._cluster_id is None:
            try:
                metadata = AdminClient(self.worker.admin_config()).list_topics(timeout=5)
                self._cluster_id = metadata.cluster_id
            except Exception as exc:
                log.warning("Could not read the Kafka cluster id: %s", exc)
        return self._cluster_id

    def is_ready(self) -> bool:
        return self._ready.is_set()

    def start(self) -> None:
        self.worker.start()

    def ready(self) -> None:
        """``GET /health`` answers 200 from here on. Kafka's ``ConnectStandalone`` calls this only
        once the connectors named on the command line are created, so a client that waits for health
        finds them."""
        self._ready.set()

    def stop(self) -> None:
        for timer in list(self._reloads.values()):
            timer.cancel()
        self._reloads.clear()
        with self._lock:
            self._ready.clear()
            self.worker.stop()

    # -- configs -----------------------------------------------------------------------------------
    def put_connector_config(self, name: str, config: Mapping[str, str], allow_replace: bool,
                             initial_state: str | None = None) -> tuple[bool, ConnectorInfo]:
        if config.get("name") not in (None, name):
            raise BadRequestError(f"Connector name configuration ({config.get('name')}) doesn't match connector name in the URL ({name})")
        if initial_state not in (None, "RUNNING", "PAUSED", "STOPPED"):
            raise BadRequestError(f"Invalid initial state {initial_state}; it must be one of RUNNING, PAUSED, STOPPED")
        with self._lock:
            config = self._unmask(name, {**config, "name": name})
            exists = self.config_store.connector_config(name) is not None
            if exists and not allow_replace:
                from ..api.errors import AlreadyExistsError
                raise AlreadyExistsError(f"Connector {name} already exists")
            self._check_valid(config)
            if exists:
                self._stop_connector_and_tasks(name)
            target = None if exists else TargetState.from_initial_state(initial_state)
            self.config_store.put_connector_config(name, config, target)
            settled = self._start_connector_and_tasks(name)
        self._await_start(settled)
        with self._lock:
            return not exists, self.connector_info(name)

    def _await_start(self, settled: threading.Event | None) -> None:
        """Process mode: wait, without the herder's lock, for a connector's start() to settle."""
        if settled is not None:
            settled.wait(CONNECTOR_START_WAIT)

    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        with self._lock:
            config = self._require(name)
            if patch.get("name") not in (None, name):
                raise BadRequestError(f"Connector name configuration ({patch.get('name')}) doesn't match connector name in the URL ({name})")
            for key, value in patch.items():
                if value is None:
                    config.pop(key, None)
                else:
                    config[key] = value
        # Outside the lock: put_connector_config waits for the start without it.
        return self.put_connector_config(name, config, allow_replace=True)[1]

    def _schedule_reload(self, name: str, ttl_ms: int) -> None:
        """Restart ``name`` and its tasks in ``ttl_ms`` (they re-resolve their references then)."""
        def reload() -> None:
            if self._reloads.get(name) is not timer:
                return
            self._reloads.pop(name, None)
            try:
                if self.config_store.connector_config(name) is not None:
                    log.info("Restarting connector %s: its config provider values expired", name)
                    self.restart_connector(name, include_tasks=True)
            except Exception:
                log.exception("Could not restart connector %s after its config provider values expired", name)

        timer = threading.Timer(max(ttl_ms, 0) / 1000.0, reload)
        timer.daemon = True
        previous = self._reloads.get(name)
        self._reloads[name] = timer
        if previous is not None:
            previous.cancel()
        timer.start()

    def delete_connector(self, name: str) -> None:
        timer = self._reloads.pop(name, None)
        if timer is not None:
            timer.cancel()
        with self._lock:
            self._require(name)
            self._stop_connector_and_tasks(name)
            self.config_store.remove_connector_config(name)
            self.status_store.forget(name)

    # -- lifecycle ---------------------------------------------------------------------------------
    def _start_connector_and_tasks(self, name: str) -> threading.Event | None:
        config = self._require(name)
        target = self.config_store.target_state(name) or TargetState.STARTED
        if target == TargetState.STOPPED:
            self.config_store.put_task_configs(name, [])
            self.status_store.put_connector(name, Status(State.STOPPED, self.worker_id))
            return None
        return self._start_connector(name, reconfigure=True, force=True)

    def _start_connector(self, name: str, reconfigure: bool, force: bool = False) -> threading.Event | None:
        """Start the connector instance, then (``reconfigure``) its tasks from its task configs.

        Thread mode: all done on return (None). Process mode: start() runs in the connector's
        process and the tasks are configured once it returned, on a thread of their own under the
        herder's lock; the returned event is set then (or once start() failed).
        """
        settled = threading.Event()

        def started_later(ok: bool) -> None:  # from the connector's supervisor: must not block
            def run() -> None:
                try:
                    with self._lock:
                        if ok and reconfigure and self.config_store.connector_config(name) is not None:
                            self._reconfigure_tasks(name, force=force)
                finally:
                    settled.set()

            threading.Thread(target=run, name=f"connector-started-{name}", daemon=True).start()

        config = self._require(name)
        target = self.config_store.target_state(name) or TargetState.STARTED
        started = self.worker.start_connector(name, config, target, self._request_reconfiguration, started_later)
        if started is None:
            return settled
        if started and reconfigure:
            self._reconfigure_tasks(name, force=force)
        return None

    def _stop_connector_and_tasks(self, name: str) -> None:
        self.worker.stop_and_await_tasks(self.worker.task_ids(name))
        self.worker.stop_connector(name)

    def _reconfigure_tasks(self, name: str, force: bool = False) -> None:
        config = self._require(name)
        if not self.worker.connector_running(name):
            return
        new_configs = self._generate_task_configs(name, config)
        if new_configs is None:
            return
        old_configs = self.config_store.task_configs(name)
        if not force and new_configs == old_configs:
            return
        self.worker.stop_and_await_tasks(self.worker.task_ids(name))
        for task_id in range(len(new_configs), len(old_configs)):
            self.status_store.forget_task(ConnectorTaskId(name, task_id))
        self.config_store.put_task_configs(name, new_configs)
        self._start_tasks(name, range(len(new_configs)))

    def _start_tasks(self, name: str, task_ids: Any) -> None:
        config = self._require(name)
        target = self.config_store.target_state(name) or TargetState.STARTED
        task_configs = self.config_store.task_configs(name)
        for task_id in task_ids:
            self.worker.start_task(ConnectorTaskId(name, task_id), config, task_configs[task_id], target)

    def _request_reconfiguration(self, name: str) -> None:
        # Called from a connector's own thread (or from inside start()); run it on a thread of
        # its own so the connector never waits on the herder lock it might be holding.
        def run() -> None:
            with self._lock:
                if self.config_store.connector_config(name) is not None:
                    self._reconfigure_tasks(name)

        threading.Thread(target=run, name=f"reconfigure-{name}", daemon=True).start()

    def restart_connector(self, name: str, include_tasks: bool = False,
                          only_failed: bool = False) -> ConnectorStateInfo | None:
        settled: threading.Event | None = None
        result: ConnectorStateInfo | None = None
        with self._lock:
            self._require(name)
            if self.config_store.target_state(name) == TargetState.STOPPED:
                raise BadRequestError(f"Cannot restart connector {name} because it is in the STOPPED state. Resume it first.")
            if not include_tasks and not only_failed:
                self.worker.stop_connector(name)
                settled = self._start_connector(name, reconfigure=True)
            else:
                result = self._restart_instances(name, include_tasks, only_failed)
        # The 204 answers once the instance started (as in thread mode), without the herder's lock.
        self._await_start(settled)
        return result

    def _restart_instances(self, name: str, include_tasks: bool, only_failed: bool) -> ConnectorStateInfo:
        plan = self._restart_plan(name, include_tasks, only_failed)
        if plan.tasks:
            self.worker.stop_and_await_tasks([ConnectorTaskId(name, t) for t in plan.tasks])
        if plan.connector:
            self.worker.stop_connector(name)
            self._start_connector(name, reconfigure=False)
        if plan.tasks:
            self._start_tasks(name, plan.tasks)
        return plan.status

    def restart_task(self, name: str, task_id: int) -> None:
        with self._lock:
            self._require(name)
            if task_id < 0 or task_id >= len(self.config_store.task_configs(name)):
                raise NotFoundError(f"Unknown task: {name}-{task_id}")
            tid = ConnectorTaskId(name, task_id)
            self.worker.stop_and_await_tasks([tid])
            self._start_tasks(name, [task_id])

    def pause_connector(self, name: str) -> None:
        with self._lock:
            self._require(name)
            if self.config_store.target_state(name) == TargetState.STOPPED:
                # Kafka's pause of a STOPPED connector only moves the target state.
                self.config_store.put_target_state(name, TargetState.PAUSED)
                self._start_connector_and_tasks(name)
                return
            self.config_store.put_target_state(name, TargetState.PAUSED)
            self.worker.set_target_state(name, TargetState.PAUSED)

    def resume_connector(self, name: str) -> None:
        with self._lock:
            self._require(name)
            previous = self.config_store.target_state(name)
            self.config_store.put_target_state(name, TargetState.STARTED)
            if previous == TargetState.STOPPED:
                self._start_connector_and_tasks(name)
            else:
                self.worker.set_target_state(name, TargetState.STARTED)

    def stop_connector(self, name: str) -> None:
        with self._lock:
            self._require(name)
            self.config_store.put_target_state(name, TargetState.STOPPED)
            self._stop_connector_and_tasks(name)
            for task_id in self.status_store.tasks(name):
                self.status_store.forget_task(ConnectorTaskId(name, task_id))
            self.config_store.put_task_configs(name, [])
            self.status_store.put_connector(name, Status(State.STOPPED, self.worker_id))

    # -- offsets -----------------------------------------------------------------------------------
    def connector_offsets(self, name: str) -> ConnectorOffsets:
        config = self._require(name)
        if self._plugin_type(config) == "sink":
            return offsets_ops.sink_offsets(self.worker.admin_config(), name)
        return offsets_ops.source_offsets(self.worker.offset_store, name)

    def _require_stopped(self, name: str) -> dict[str, str]:
        config = self._require(name)
        if self.config_store.target_state(name) != TargetState.STOPPED or self.worker.task_ids(name):
            raise BadRequestError(NOT_STOPPED.format(name=name))
        return config

    def alter_connector_offsets(self, name: str, offsets: list[Mapping[str, Any]]) -> Message:
        with self._lock:
            return self._alter_offsets(name, offsets)

    def reset_connector_offsets(self, name: str) -> Message:
        with self._lock:
            return self._reset_offsets(name)
