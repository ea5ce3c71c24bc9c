"""Connector and task statuses in the status topic (KafkaStatusBackingStore).

Keys ``status-connector-<n>`` and ``status-task-<n>-<i>``; values
``{"state": …, "trace": …|null, "worker_id": "host:port", "generation": G}`` (JsonConverter,
schemas.enable=false); a tombstone forgets. Every worker reads the whole topic, so the status of a
task is answered the same on every worker. Kafka's ``putSafe`` rule: a status written from an
older generation does not replace a newer status of another worker (a worker that has not yet
seen the rebalance must not overwrite the new owner's RUNNING).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from .kafka_based_log import READ_WRITE_TIMEOUT_S, KafkaLogStore, LogRecord
from .status import CachedStatusBackingStore, ConnectorTaskId, State, Status

log = logging.getLogger(__name__)

CONNECTOR_STATUS_PREFIX = "status-connector-"
TASK_STATUS_PREFIX = "status-task-"


def status_value(status: Status) -> bytes | None:
    if status.state == State.DESTROYED:
        return None
    return orjson.dumps({"state": status.state, "trace": status.trace or None, "worker_id": status.worker_id,
                         "generation": int(status.generation)})


class KafkaStatusBackingStore(KafkaLogStore, CachedStatusBackingStore):
    """Statuses read from the status topic into this process's memory (CachedStatusBackingStore's
    reads), written to it asynchronously."""

    def __init__(self, topic: str, client_config: Mapping[str, Any], start_timeout_s: float = 60.0,
                 **log_overrides: Any) -> None:
        CachedStatusBackingStore.__init__(self)
        KafkaLogStore.__init__(self, topic, client_config, start_timeout_s, **log_overrides)

    def flush(self, timeout_s: float = READ_WRITE_TIMEOUT_S) -> bool:
        return self._log.flush(timeout_s)

    # -- writes: asynchronous, as Kafka's (statuses are advisory; the next write replaces a lost one)

    def put_connector(self, connector: str, status: Status) -> None:
        self._send(CONNECTOR_STATUS_PREFIX + connector, status)

    def put_task(self, task_id: ConnectorTaskId, status: Status) -> None:
        self._send(f"{TASK_STATUS_PREFIX}{task_id.connector}-{task_id.task}", status)

    def put_connector_safe(self, connector: str, status: Status) -> bool:
        """Write unless a newer generation's status of another worker is there; True when written."""
        with self._lock:
            if not _can_write_safely(self._connectors.get(connector), status):
                return False
        self.put_connector(connector, status)
        return True

    def put_task_safe(self, task_id: ConnectorTaskId, status: Status) -> bool:
        with self._lock:
            if not _can_write_safely(self._tasks.get(task_id), status):
                return False
        self.put_task(task_id, status)
        return True

    def forget(self, connector: str) -> None:
        with self._lock:
            tasks = [t for t in self._tasks if t.connector == connector]
        self._log.send((CONNECTOR_STATUS_PREFIX + connector).encode(), None)
        for task_id in tasks:
            self._log.send(f"{TASK_STATUS_PREFIX}{task_id.connector}-{task_id.task}".encode(), None)

    def forget_task(self, task_id: ConnectorTaskId) -> None:
        self._log.send(f"{TASK_STATUS_PREFIX}{task_id.connector}-{task_id.task}".encode(), None)

    def _send(self, key: str, status: Status) -> None:
        def delivered(err: Exception | None, _: LogRecord | None) -> None:
            if err is not None:
                log.error("Failed to write the status %s of %s: %s", status.state, key, err)

        self._log.send(key.encode(), status_value(status), delivered)

    # -- reads (CachedStatusBackingStore's): from the topic only, so every worker answers the same

    def _read(self, record: LogRecord) -> None:
        key = (record.key or b"").decode("utf-8", "replace")
        if key.startswith(CONNECTOR_STATUS_PREFIX):
            name = key[len(CONNECTOR_STATUS_PREFIX):]
            status = _parse(key, record.value)
            with self._lock:
                if record.value is None:
                    self._connectors.pop(name, None)
                elif status is not None and not _late_unassigned(self._connectors.get(name), status):
                    self._connectors[name] = status
        elif key.startswith(TASK_STATUS_PREFIX):
            connector, _, index = key[len(TASK_STATUS_PREFIX):].rpartition("-")
            if not connector or not index.isdigit():
                log.warning("Discarding a status record with the invalid task key %s", key)
                return
            task_id = ConnectorTaskId(connector, int(index))
            status = _parse(key, record.value)
            with self._lock:
                if record.value is None:
                    self._tasks.pop(task_id, None)
                elif status is not None and not _late_unassigned(self._tasks.get(task_id), status):
                    self._tasks[task_id] = status
        elif key.startswith("status-topic-"):
            pass  # active topics (KIP-558) are not tracked through the status topic yet
        else:
            log.warning("Discarding a status record with the invalid key %s", key)


def _late_unassigned(current: Status | None, status: Status) -> bool:
    """A late UNASSIGNED from a worker that stopped the work (or missed the rebalance) does not hide
    another worker's RUNNING of the same or a newer generation; a worker's own UNASSIGNED replaces
    its RUNNING (it stopped the work: a stopped worker is never shown running it)."""
    return (status.state == State.UNASSIGNED and current is not None and current.state == State.RUNNING
            and current.worker_id != status.worker_id and current.generation >= status.generation)


def _can_write_safely(current: Status | None, status: Status) -> bool:
    return current is None or current.worker_id == status.worker_id or current.generation <= status.generation


def _parse(key: str, value: bytes | None) -> Status | None:
    if value is None:
        return None
    try:
        doc = orjson.loads(value)
        state, worker_id = doc["state"], doc["worker_id"]
        if not isinstance(state, str) or not isinstance(worker_id, str):
            raise TypeError("state and worker_id must be strings")
        trace = doc.get("trace")
        return Status(state=state, worker_id=worker_id, trace=trace if isinstance(trace, str) else None,
                      generation=int(doc.get("generation") or 0))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        log.warning("Failed to parse the status record %s: %s", key, exc)
        return None

