"""Connector configs, task configs and target states (ConfigBackingStore)."""

from __future__ import annotations

import copy
import threading
from abc import ABC, abstractmethod


class TargetState:
    STARTED = "STARTED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"

    @staticmethod
    def from_initial_state(initial_state: str | None) -> str:
        return {None: "STARTED", "RUNNING": "STARTED", "PAUSED": "PAUSED", "STOPPED": "STOPPED"}[initial_state]


class ConfigBackingStore(ABC):
    @abstractmethod
    def connectors(self) -> list[str]: ...

    @abstractmethod
    def connector_config(self, connector: str) -> dict[str, str] | None: ...

    @abstractmethod
    def put_connector_config(self, connector: str, config: dict[str, str], target_state: str | None) -> None:
        """Store a config; ``target_state`` None keeps the current one (STARTED when new)."""

    @abstractmethod
    def remove_connector_config(self, connector: str) -> None: ...

    @abstractmethod
    def task_configs(self, connector: str) -> list[dict[str, str]]: ...

    @abstractmethod
    def put_task_configs(self, connector: str, configs: list[dict[str, str]]) -> None: ...

    @abstractmethod
    def target_state(self, connector: str) -> str | None: ...

    @abstractmethod
    def put_target_state(self, connector: str, state: str) -> None: ...


class MemoryConfigBackingStore(ConfigBackingStore):
    """Standalone mode: configs live in memory, exactly as in Kafka Connect."""

    def __init__(self) -> None:
        self._configs: dict[str, dict[str, str]] = {}
        self._tasks: dict[str, list[dict[str, str]]] = {}
        self._states: dict[str, str] = {}
        self._lock = threading.RLock()

    def connectors(self) -> list[str]:
        with self._lock:
            return list(self._configs)

    def connector_config(self, connector: str) -> dict[str, str] | None:
        with self._lock:
            config = self._configs.get(connector)
            return dict(config) if config is not None else None

    def put_connector_config(self, connector: str, config: dict[str, str], target_state: str | None) -> None:
        with self._lock:
            self._configs[connector] = dict(config)
            if target_state is not None:
                self._states[connector] = target_state
            else:
                self._states.setdefault(connector, TargetState.STARTED)

    def remove_connector_config(self, connector: str) -> None:
        with self._lock:
            self._configs.pop(connector, None)
            self._tasks.pop(connector, None)
            self._states.pop(connector, None)

    def task_configs(self, connector: str) -> list[dict[str, str]]:
        with self._lock:
            return copy.deepcopy(self._tasks.get(connector, []))

    def put_task_configs(self, connector: str, configs: list[dict[str, str]]) -> None:
        with self._lock:
            self._tasks[connector] = copy.deepcopy(configs)

    def target_state(self, connector: str) -> str | None:
        with self._lock:
            return self._states.get(connector)

    def put_target_state(self, connector: str, state: str) -> None:
        with self._lock:
            if connector in self._configs:
                self._states[connector] = state
