"""Connector configs, task configs, target states, restart requests and the session key in the
config topic, in Kafka Connect's exact record formats (KafkaConfigBackingStore).

Keys are strings, values JSON (JsonConverter with schemas.enable=false), so a Java worker or any
tool that reads Kafka Connect's config topic understands ours and the other way round:

- ``connector-<n>``: ``{"properties": {…}}``; null (a tombstone) when the connector is deleted;
- ``task-<n>-<i>``: ``{"properties": {…}}``, applied only when the commit below arrives;
- ``commit-<n>``: ``{"tasks": N}`` (+ ``"generation": G``, our fencing field, ignored by Kafka);
- ``target-state-<n>``: ``{"state": "STARTED"|"PAUSED", "state.v2": "STARTED"|"PAUSED"|"STOPPED"}``;
- ``restart-connector-<n>``: ``{"include-tasks": bool, "only-failed": bool}``;
- ``session-key``: ``{"key": base64, "algorithm": "HmacSHA256", "creation-timestamp": ms}``.

Reading follows Kafka's rules: task configs stay deferred until their commit; a commit whose task
set is incomplete (compaction) marks the connector inconsistent (no tasks) until a complete one
arrives; a connector tombstone drops its tasks. Fencing: a commit whose ``generation`` is lower than
the highest generation already seen in a commit was written by a deposed leader and is ignored.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import orjson

from ...api.errors import ConnectError
from .configs import ConfigBackingStore, TargetState
from .internal_topics import check_config_topic_partitions
from .kafka_based_log import KafkaBasedLog, LogRecord

log = logging.getLogger(__name__)

CONNECTOR_PREFIX = "connector-"
TASK_PREFIX = "task-"
COMMIT_PREFIX = "commit-"
TARGET_STATE_PREFIX = "target-state-"
RESTART_PREFIX = "restart-connector-"
SESSION_KEY_KEY = "session-key"

READ_WRITE_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class RestartRequest:
    connector: str
    only_failed: bool = False
    include_tasks: bool = False


@dataclass(frozen=True, slots=True)
class SessionKey:
    key: bytes
    algorithm: str
    creation_ms: int


@dataclass(frozen=True)
class ClusterConfigState:
    """A frozen copy of the config topic as read up to ``offset`` (Kafka's ClusterConfigState)."""

    offset: int
    connector_configs: Mapping[str, Mapping[str, str]]
    task_configs: Mapping[str, tuple[Mapping[str, str], ...]]
    target_states: Mapping[str, str]
    task_counts: Mapping[str, int] = field(default_factory=dict)
    inconsistent: frozenset[str] = frozenset()
    session_key: SessionKey | None = None

    def connectors(self) -> list[str]:
        return sorted(self.connector_configs)

    def task_count(self, name: str) -> int:
        return self.task_counts.get(name, 0)

    def target_state(self, name: str) -> str | None:
        return self.target_states.get(name)

    def tasks(self, name: str) -> list[dict[str, str]]:
        return [dict(c) for c in self.task_configs.get(name, ())]


class ConfigUpdateListener(Protocol):
    """Called on the log's thread (after the initial read) for every change; must not block."""

    def on_connector_config_update(self, name: str) -> None: ...

    def on_connector_config_remove(self, name: str) -> None: ...

    def on_task_config_update(self, names: set[str]) -> None: ...

    def on_target_state_change(self, name: str) -> None: ...

    def on_restart_request(self, request: RestartRequest) -> None: ...

    def on_session_key_update(self, key: SessionKey) -> None: ...


def target_state_value(state: str) -> bytes:
    if state not in (TargetState.STARTED, TargetState.PAUSED, TargetState.STOPPED):
        raise ConnectError(f"Unknown target state {state!r}")
    # Workers older than KIP-875 know no STOPPED: they read "state" and see PAUSED.
    legacy = TargetState.PAUSED if state == TargetState.STOPPED else state
    return orjson.dumps({"state": legacy, "state.v2": state})


class KafkaConfigBackingStore(ConfigBackingStore):
    def __init__(self, topic: str, client_config: Mapping[str, Any], **log_overrides: Any) -> None:
        self.topic = topic
        self._lock = threading.RLock()
        self._offset = -1
        self._configs: dict[str, dict[str, str]] = {}
        self._target_states: dict[str, str] = {}
        self._task_configs: dict[str, list[dict[str, str]]] = {}
        self._task_counts: dict[str, int] = {}
        self._deferred: dict[str, dict[int, dict[str, str]]] = {}
        self._inconsistent: set[str] = set()
        self._max_generation: int | None = None
        self._session_key: SessionKey | None = None
        self._listener: ConfigUpdateListener | None = None
        self._started = False
        self._log = KafkaBasedLog(topic, client_config, self._read, **log_overrides)

    # -- lifecycle

    def start(self, timeout_s: float = 60.0) -> None:
        self._log.start(timeout_s)
        try:
            check_config_topic_partitions(self.topic, self._log.partition_count)
        except Exception:
            self._log.stop()
            raise
        self._started = True
        log.info("Started the config store on %s at offset %d", self.topic, self._offset)

    def stop(self) -> None:
        self._started = False
        self._log.stop()

    def set_update_listener(self, listener: ConfigUpdateListener | None) -> None:
        self._listener = listener

    def refresh(self, timeout_s: float = READ_WRITE_TIMEOUT_S) -> bool:
        return self._log.read_to_end(timeout_s)

    @property
    def offset(self) -> int:
        with self._lock:
            return self._offset

    @property
    def highest_commit_generation(self) -> int | None:
        """The highest ``generation`` read in a commit record (None: none carried one)."""
        with self._lock:
            return self._max_generation

    def fencing_generation(self, group_generation: int) -> int:
        """The generation a new leader should stamp on its commits: call once, when it becomes leader,
        after ``refresh``, and keep it for the whole leadership.

        Group generations restart from 0 or 1 when the group is deleted (Apache Kafka removes an
        empty group without offsets after offsets.retention.check.interval.ms, 10 min; a
        restarted in-memory broker forgets it), while the topic still holds the old, higher
        generations: stamping the raw group generation would get every commit of the restarted
        cluster ignored. max(group generation, highest seen + 1) is monotonic across leaders
        either way: a deposed leader kept the lower number it took when it was elected.
        """
        with self._lock:
            highest = self._max_generation
        return group_generation if highest is None else max(group_generation, highest + 1)

    def snapshot(self) -> ClusterConfigState:
        with self._lock:
            return ClusterConfigState(
                offset=self._offset,
                connector_configs=MappingProxyType({n: MappingProxyType(dict(c)) for n, c in self._configs.items()}),
                task_configs=MappingProxyType({n: tuple(MappingProxyType(dict(t)) for t in self._tasks_of(n))
                                               for n in self._configs}),
                target_states=MappingProxyType(dict(self._target_states)),
                task_counts=MappingProxyType({n: c for n, c in self._task_counts.items() if n in self._configs}),
                inconsistent=frozenset(self._inconsistent),
                session_key=self._session_key)

    # -- ConfigBackingStore

    def connectors(self) -> list[str]:
        with self._lock:
            return list(self._configs)

    def connector_config(self, connector: str) -> dict[str, str] | None:
        with self._lock:
            config = self._configs.get(connector)
            return dict(config) if config is not None else None

    def task_configs(self, connector: str) -> list[dict[str, str]]:
        with self._lock:
            return [dict(t) for t in self._tasks_of(connector)]

    def target_state(self, connector: str) -> str | None:
        with self._lock:
            return self._target_states.get(connector)

    def session_key(self) -> SessionKey | None:
        with self._lock:
            return self._session_key

    def put_connector_config(self, connector: str, config: dict[str, str], target_state: str | None) -> None:
        records: list[tuple[str, bytes | None]] = []
        if target_state is not None:
            records.append((TARGET_STATE_PREFIX + connector, target_state_value(target_state)))
        records.append((CONNECTOR_PREFIX + connector, orjson.dumps({"properties": _strings(config)})))
        self._write(records, "connector configuration")

    def remove_connector_config(self, connector: str) -> None:
        self._write([(CONNECTOR_PREFIX + connector, None), (TARGET_STATE_PREFIX + connector, None)],
                    "connector removal")

    def put_task_configs(self, connector: str, configs: list[dict[str, str]], generation: int | None = None) -> None:
        # Read to the end first: the commit must follow everything already in the topic.
        self._read_to_end("task configurations")
        self._write([(f"{TASK_PREFIX}{connector}-{i}", orjson.dumps({"properties": _strings(c)}))
                     for i, c in enumerate(configs)], "task configurations", read_back=False)
        commit: dict[str, int] = {"tasks": len(configs)}
        if generation is not None:
            commit["generation"] = int(generation)
        self._write([(COMMIT_PREFIX + connector, orjson.dumps(commit))], "task configurations commit")

    def put_target_state(self, connector: str, state: str) -> None:
        self._write([(TARGET_STATE_PREFIX + connector, target_state_value(state))], "target state")

    def put_restart_request(self, name: str, include_tasks: bool, only_failed: bool) -> None:
        value = orjson.dumps({"include-tasks": bool(include_tasks), "only-failed": bool(only_failed)})
        self._write([(RESTART_PREFIX + name, value)], "restart request", read_back=False)

    def put_session_key(self, key: bytes, algorithm: str, creation_ms: int) -> None:
        value = orjson.dumps({"key": base64.b64encode(key).decode("ascii"), "algorithm": algorithm,
                              "creation-timestamp": int(creation_ms)})
        self._write([(SESSION_KEY_KEY, value)], "session key")

    # -- writing

    def _write(self, records: list[tuple[str, bytes | None]], what: str, read_back: bool = True) -> None:
        if not records:
            return
        try:
            self._log.send_all([(k.encode(), v) for k, v in records], READ_WRITE_TIMEOUT_S)
        except ConnectError as exc:
            raise ConnectError(f"Error writing {what} to Kafka: {exc}") from exc
        if read_back:
            self._read_to_end(what)

    def _read_to_end(self, what: str) -> None:
        if not self._log.read_to_end(READ_WRITE_TIMEOUT_S):
            raise ConnectError(f"Error writing {what} to Kafka: timed out reading the config topic "
                               f"{self.topic!r} to its end")

    # -- reading (on the log's thread)

    def _tasks_of(self, connector: str) -> list[dict[str, str]]:
        if connector in self._inconsistent:
            return []
        return self._task_configs.get(connector, [])

    def _read(self, record: LogRecord) -> None:
        notify: list[tuple[str, Any]] = []
        with self._lock:
            self._offset = record.offset + 1
            if record.key is None:
                log.error("Discarding a config topic record without a key at offset %d", record.offset)
                return
            key = record.key.decode("utf-8", "replace")
            value = _decode(key, record.value)
            if value is _INVALID:
                return
            if key.startswith(TARGET_STATE_PREFIX):
                notify = self._target_state_record(key[len(TARGET_STATE_PREFIX):], value)
            elif key.startswith(CONNECTOR_PREFIX):
                notify = self._connector_record(key[len(CONNECTOR_PREFIX):], value)
            elif key.startswith(TASK_PREFIX):
                self._task_record(key, value)
            elif key.startswith(COMMIT_PREFIX):
                notify = self._commit_record(key[len(COMMIT_PREFIX):], value)
            elif key.startswith(RESTART_PREFIX):
                notify = self._restart_record(key[len(RESTART_PREFIX):], value)
            elif key == SESSION_KEY_KEY:
                notify = self._session_key_record(value)
            else:
                # task-count records (exactly-once source) and logger levels are not built yet.
                log.debug("Ignoring config topic record %s", key)
        listener = self._listener
        if self._started and listener is not None:
            for method, arg in notify:
                try:
                    getattr(listener, method)(arg)
                except Exception:
                    log.exception("The config update listener failed in %s(%r)", method, arg)

    def _target_state_record(self, name: str, value: Any) -> list[tuple[str, Any]]:
        if value is None:
            self._target_states.pop(name, None)
            if name in self._configs:
                self._target_states[name] = TargetState.STARTED
            return []
        if not isinstance(value, dict):
            log.error("Ignoring target state for connector '%s' because it is in the wrong format", name)
            return []
        state = value.get("state.v2")
        if not isinstance(state, str):
            state = value.get("state")
        if state not in (TargetState.STARTED, TargetState.PAUSED, TargetState.STOPPED):
            log.error("Invalid target state for connector '%s': %r", name, state)
            return []
        previous = self._target_states.get(name)
        self._target_states[name] = state
        if state != previous and name in self._configs:
            return [("on_target_state_change", name)]
        return []

    def _connector_record(self, name: str, value: Any) -> list[tuple[str, Any]]:
        if value is None:
            self._remove_connector(name)
            log.info("Processed the removal of connector '%s'", name)
            return [("on_connector_config_remove", name)]
        properties = value.get("properties") if isinstance(value, dict) else None
        if not isinstance(properties, dict):
            log.error("Ignoring the configuration of connector '%s': 'properties' is not a map", name)
            return []
        self._configs[name] = {str(k): _string(v) for k, v in properties.items()}
        self._target_states.setdefault(name, TargetState.STARTED)
        return [("on_connector_config_update", name)]

    def _remove_connector(self, name: str) -> None:
        self._configs.pop(name, None)
        self._task_counts.pop(name, None)
        self._task_configs.pop(name, None)
        self._deferred.pop(name, None)
        self._inconsistent.discard(name)

    def _task_record(self, key: str, value: Any) -> None:
        connector, _, index = key[len(TASK_PREFIX):].rpartition("-")
        if not connector or not index.isdigit():
            log.error("Ignoring task configuration because %s is not a task config key", key)
            return
        properties = value.get("properties") if isinstance(value, dict) else None
        if not isinstance(properties, dict):
            log.error("Ignoring the configuration of task %s: it is null or 'properties' is not a map", key)
            return
        self._deferred.setdefault(connector, {})[int(index)] = {str(k): _string(v) for k, v in properties.items()}

    def _commit_record(self, name: str, value: Any) -> list[tuple[str, Any]]:
        if name not in self._configs:
            self._remove_connector(name)
            log.debug("Ignoring task configs of connector %s: it was deleted", name)
            return []
        if not isinstance(value, dict) or not isinstance(value.get("tasks"), int):
            log.error("Ignoring the task commit of connector '%s' because it is in the wrong format", name)
            return []
        generation = value.get("generation")
        if isinstance(generation, int):
            if self._max_generation is not None and generation < self._max_generation:
                log.warning("Ignoring the task commit of connector '%s' from generation %d: a leader of "
                            "generation %d has already written task configs (a deposed leader's write)",
                            name, generation, self._max_generation)
                self._deferred.pop(name, None)
                return []
            self._max_generation = generation
        count = value["tasks"]
        # As Kafka: the commit applies the task records read since the previous commit, and only
        # when they cover tasks 0..N-1 (fewer means compaction removed some: inconsistent).
        deferred = self._deferred.pop(name, {})
        if not all(i in deferred for i in range(count)):
            log.debug("Incomplete task configs for connector '%s' (compaction); waiting for a full set", name)
            self._inconsistent.add(name)
        else:
            self._task_configs[name] = [deferred[i] for i in range(count)]
            self._inconsistent.discard(name)
        self._task_counts[name] = count
        return [("on_task_config_update", {name})]

    def _restart_record(self, name: str, value: Any) -> list[tuple[str, Any]]:
        if not isinstance(value, dict):
            log.error("Ignoring the restart request of connector '%s': the value is not a map", name)
            return []
        only_failed = value.get("only-failed")
        include_tasks = value.get("include-tasks")
        if not isinstance(only_failed, bool):
            log.warning("Invalid 'only-failed' in the restart request of '%s': using false", name)
            only_failed = False
        if not isinstance(include_tasks, bool):
            log.warning("Invalid 'include-tasks' in the restart request of '%s': using false", name)
            include_tasks = False
        return [("on_restart_request", RestartRequest(name, only_failed=only_failed, include_tasks=include_tasks))]

    def _session_key_record(self, value: Any) -> list[tuple[str, Any]]:
        if not isinstance(value, dict):
            log.error("Ignoring the session key: it is null or not a map")
            return []
        try:
            key = SessionKey(base64.b64decode(value["key"], validate=True), str(value["algorithm"]),
                             int(value["creation-timestamp"]))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("Ignoring an invalid session key: %s", type(exc).__name__)
            return []
        self._session_key = key
        return [("on_session_key_update", key)]


_INVALID = object()


def _decode(key: str, value: bytes | None) -> Any:
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        log.error("Discarding config topic record %s: the value is not JSON", key)
        return _INVALID


def _string(value: Any) -> str:
    # JsonConverter's maps are string → string; be lenient about numbers written by other tools.
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _strings(config: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else str(v) for k, v in config.items()}
