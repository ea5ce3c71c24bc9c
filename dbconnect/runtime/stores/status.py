"""Connector and task statuses (StatusBackingStore): memory now, a Kafka topic later."""

from __future__ import annotations

import threading
import traceback
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple

from ...api.masking import mask_text


class ConnectorTaskId(NamedTuple):
    connector: str
    task: int

    def __str__(self) -> str:
        return f"{self.connector}-{self.task}"


class State:
    UNASSIGNED = "UNASSIGNED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    RESTARTING = "RESTARTING"
    DESTROYED = "DESTROYED"


@dataclass(slots=True)
class Status:
    state: str
    worker_id: str
    trace: str | None = None
    generation: int = 0

    def __post_init__(self) -> None:
        # The status trace writer: a driver's error that quotes a DSN or a password never reaches
        # the store (or GET .../status), here or coming up from a task's process.
        self.trace = mask_text(self.trace)

    def to_json(self) -> dict:
        out = {"state": self.state, "worker_id": self.worker_id}
        if self.trace:
            out["trace"] = self.trace
        return out


def format_trace(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()


class StatusBackingStore(ABC):
    @abstractmethod
    def put_connector(self, connector: str, status: Status) -> None: ...

    @abstractmethod
    def put_task(self, task_id: ConnectorTaskId, status: Status) -> None: ...

    def put_connector_safe(self, connector: str, status: Status) -> bool:
        """Kafka's putSafe: skip the write when a newer generation's status of another worker is there
        (only stores shared between workers can see one); True when written."""
        self.put_connector(connector, status)
        return True

    def put_task_safe(self, task_id: ConnectorTaskId, status: Status) -> bool:
        self.put_task(task_id, status)
        return True

    @abstractmethod
    def connector(self, connector: str) -> Status | None: ...

    @abstractmethod
    def task(self, task_id: ConnectorTaskId) -> Status | None: ...

    @abstractmethod
    def tasks(self, connector: str) -> dict[int, Status]: ...

    @abstractmethod
    def forget(self, connector: str) -> None:
        """Drop every status of a deleted connector."""

    @abstractmethod
    def forget_task(self, task_id: ConnectorTaskId) -> None: ...


class CachedStatusBackingStore(StatusBackingStore):
    """A store whose statuses are held in this process's memory: the reads every store answers the
    same way. The memory store writes the maps directly; the Kafka store fills them from its topic."""

    def __init__(self) -> None:
        self._connectors: dict[str, Status] = {}
        self._tasks: dict[ConnectorTaskId, Status] = {}
        self._lock = threading.Lock()

    def connector(self, connector: str) -> Status | None:
        with self._lock:
            return self._connectors.get(connector)

    def task(self, task_id: ConnectorTaskId) -> Status | None:
        with self._lock:
            return self._tasks.get(task_id)

    def tasks(self, connector: str) -> dict[int, Status]:
        with self._lock:
            return {tid.task: st for tid, st in self._tasks.items() if tid.connector == connector}

    def connectors(self) -> list[str]:
        with self._lock:
            return list(self._connectors)


class MemoryStatusBackingStore(CachedStatusBackingStore):
    def put_connector(self, connector: str, status: Status) -> None:
        with self._lock:
            self._connectors[connector] = status

    def put_task(self, task_id: ConnectorTaskId, status: Status) -> None:
        with self._lock:
            self._tasks[task_id] = status

    def forget(self, connector: str) -> None:
        with self._lock:
            self._connectors.pop(connector, None)
            for tid in [t for t in self._tasks if t.connector == connector]:
                del self._tasks[tid]

    def forget_task(self, task_id: ConnectorTaskId) -> None:
        with self._lock:
            self._tasks.pop(task_id, None)
