"""The REST layer's requests as a distributed worker serves them (DistributedHerder's half that
answers users): which worker may serve each one, and what it writes to the config topic.

- the leader only: create, update and delete connectors, stop them, restarts with
  ``includeTasks``/``onlyFailed`` (a restart request in the config topic), offsets changes, the
  task configs another worker sends (``put_task_configs``, signed under ``sessioned``);
  any other worker raises NotLeaderError and the REST layer forwards the request to the leader;
- the worker that runs the instance: a plain connector restart, a task restart (the leader
  answers NotAssignedError with the owner's URL);
- any worker: pause and resume (target states in the config topic), reads.

Writes run on the tick thread (``_call``): during a rebalance they are refused with 409 at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ...api.errors import AlreadyExistsError, BadRequestError, NotFoundError
from .. import connector_offsets as offsets_ops
from ..abstract_herder import NOT_STOPPED
from ..herder import NotAssignedError, NotLeaderError, RebalanceNeededError
from ..herder_entities import ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, Message
from ..stores.configs import TargetState
from ..stores.status import ConnectorTaskId
from . import request_signing

log = logging.getLogger(__name__)



class ClusterRequests:
    """Mixed into DistributedHerder (it provides ``_call``, ``_lock``, the stores and the worker)."""

    _lock: Any
    config_store: Any
    status_store: Any
    worker: Any
    plugins: Any

    def put_task_configs(self, name: str, configs: list[dict[str, str]], body: bytes,
                         headers: Mapping[str, str]) -> None:
        if self.sessioned or getattr(self, "require_signature", False):
            key = self.config_store.session_key()
            request_signing.verify(key.key if key is not None else None, body, headers)

        def write() -> None:
            if not self.is_leader:
                raise NotLeaderError("Only the leader may write task configurations.", self.leader_url)
            self._require(name)
            if self._stopped_target(name):
                # A resume another worker just wrote may not be read here yet: read to the end first.
                refresh = getattr(self.config_store, "refresh", None)
                if callable(refresh):
                    refresh(5.0)
                if self._stopped_target(name):
                    # The sender retries, and stops once it has read the STOPPED target state itself.
                    raise BadRequestError(f"Connector {name} is STOPPED: its task configs are not written")
            self.config_store.put_task_configs(name, configs, generation=self._commit_generation())

        self._call(write)

    def cluster_worker_urls(self) -> list[str]:
        """This worker, the leader, the members of the last assignment this worker made as leader,
        and the workers named in the statuses (a worker id is the advertised ``host:port``; a
        follower learns its peers from them). A stale one is reported unreachable by the caller."""
        with self._lock:
            urls = {self.url, self._leader_url, *self._owner_urls.values(), *getattr(self, "_member_urls", ())}
        scheme = (self.url or "http://").split("://", 1)[0]
        for name in self.connectors():
            statuses = [self.status_store.connector(name), *self.status_store.tasks(name).values()]
            urls.update(f"{scheme}://{s.worker_id}" for s in statuses if s is not None and s.worker_id)
        return sorted(u for u in urls if u)

    def _stopped_target(self, name: str) -> bool:
        """A STOPPED connector has no tasks: task configs its instance generated before the stop (and
        that reach the leader after it) are dropped, else they would bring its tasks back."""
        if self.config_store.target_state(name) == TargetState.STOPPED:
            log.info("Not writing task configs of connector %s: it is STOPPED", name)
            return True
        return False

    # -- REST: connectors ---------------------------------------------------------------------------
    def _leader_only(self, what: str) -> None:
        if not self.is_leader:
            raise NotLeaderError(f"Only the leader {what}.", self.leader_url)

    def put_connector_config(self, name: str, config: Mapping[str, str], allow_replace: bool,
                             initial_state: str | None = None) -> tuple[bool, ConnectorInfo]:
        if config.get("name") not in (None, name):
            raise BadRequestError(f"Connector name configuration ({config.get('name')}) doesn't match connector name in the URL ({name})")
        if initial_state not in (None, "RUNNING", "PAUSED", "STOPPED"):
            raise BadRequestError(f"Invalid initial state {initial_state}; it must be one of RUNNING, PAUSED, STOPPED")

        def write() -> tuple[bool, ConnectorInfo]:
            self._leader_only("can create or update connector configurations")
            full = self._unmask(name, {**config, "name": name})
            exists = self.config_store.connector_config(name) is not None
            if exists and not allow_replace:
                raise AlreadyExistsError(f"Connector {name} already exists")
            self._check_valid(full)
            target = None if exists else TargetState.from_initial_state(initial_state)
            self.config_store.put_connector_config(name, full, target)
            self.config_store.refresh(self.sync_timeout_s)
            return not exists, self.connector_info(name)

        return self._call(write)

    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        if patch.get("name") not in (None, name):
            raise BadRequestError(f"Connector name configuration ({patch.get('name')}) doesn't match connector name in the URL ({name})")
        self._leader_only_now("can update connector configurations")
        config = self._require(name)
        for key, value in patch.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        return self.put_connector_config(name, config, allow_replace=True)[1]

    def _leader_only_now(self, what: str) -> None:
        if self.rebalancing:
            raise RebalanceNeededError()
        self._leader_only(what)

    def delete_connector(self, name: str) -> None:
        def write() -> None:
            self._leader_only("can delete connector configurations")
            self._require(name)
            self.config_store.remove_connector_config(name)
            self.status_store.forget(name)

        self._call(write)

    # -- REST: lifecycle ------------------------------------------------------------------------------
    def _owner_url(self, key: str | ConnectorTaskId) -> str | None:
        with self._lock:
            return self._owner_urls.get(key)

    def restart_connector(self, name: str, include_tasks: bool = False,
                          only_failed: bool = False) -> ConnectorStateInfo | None:
        def run() -> ConnectorStateInfo | None:
            self._require(name)
            if self.config_store.target_state(name) == TargetState.STOPPED:
                raise BadRequestError(f"Cannot restart connector {name} because it is in the STOPPED state. Resume it first.")
            if include_tasks or only_failed:
                self._leader_only("can process restart requests")
                plan = self._restart_plan(name, include_tasks, only_failed).status
                self.config_store.put_restart_request(name, include_tasks, only_failed)
                return plan
            with self._lock:
                here = name in self._running_connectors
            if here:
                self.worker.stop_connector(name)
                with self._lock:
                    self._running_connectors.discard(name)
                self._start_connector(name)
                return None
            if self.is_leader:
                raise NotAssignedError("Cannot restart connector since it is not assigned to this member",
                                       self._owner_url(name))
            raise NotLeaderError("Only the leader can process restart requests.", self.leader_url)

        return self._call(run)

    def restart_task(self, name: str, task_id: int) -> None:
        def run() -> None:
            self._require(name)
            if task_id < 0 or task_id >= len(self.config_store.task_configs(name)):
                raise NotFoundError(f"Unknown task: {name}-{task_id}")
            tid = ConnectorTaskId(name, task_id)
            with self._lock:
                here = tid in self._owned_tasks
            if here:
                self.worker.stop_and_await_tasks([tid])
                self._start_task(tid, self.config_store.snapshot())
                return
            if self.is_leader:
                raise NotAssignedError("Cannot restart task since it is not assigned to this member",
                                       self._owner_url(tid))
            raise NotLeaderError("Cannot restart task since it is not assigned to this member", self.leader_url)

        self._call(run)

    def pause_connector(self, name: str) -> None:
        # Any worker writes a target state (as Kafka): every worker applies it to what it runs.
        self._require(name)
        self.config_store.put_target_state(name, TargetState.PAUSED)

    def resume_connector(self, name: str) -> None:
        self._require(name)
        self.config_store.put_target_state(name, TargetState.STARTED)

    def stop_connector(self, name: str) -> None:
        def write() -> None:
            self._leader_only("can stop connectors")
            self._require(name)
            # Task configs first: a failure between the two writes leaves no tasks of a running connector.
            self.config_store.put_task_configs(name, [], generation=self._commit_generation())
            self.config_store.put_target_state(name, TargetState.STOPPED)

        self._call(write)

    # -- REST: offsets -----------------------------------------------------------------------------
    def connector_offsets(self, name: str) -> ConnectorOffsets:
        config = self._require(name)
        if self._plugin_type(config) == "sink":
            return offsets_ops.sink_offsets(self.worker.admin_config(), name)
        refresh = getattr(self.worker.offset_store, "refresh", None)
        if callable(refresh):
            refresh(self.sync_timeout_s)
        return offsets_ops.source_offsets(self.worker.offset_store, name)

    def _require_stopped(self, name: str) -> dict[str, str]:
        config = self._require(name)
        if self.config_store.target_state(name) != TargetState.STOPPED or self.config_store.task_configs(name):
            raise BadRequestError(NOT_STOPPED.format(name=name))
        return config

    def alter_connector_offsets(self, name: str, offsets: list[Mapping[str, Any]]) -> Message:
        def write() -> Message:
            self._leader_only("can process external offsets modification requests")
            return self._alter_offsets(name, offsets)

        return self._call(write)

    def reset_connector_offsets(self, name: str) -> Message:
        def write() -> Message:
            self._leader_only("can process external offsets modification requests")
            return self._reset_offsets(name)

        return self._call(write)
