"""The status store as the worker sees it in distributed mode: every status it writes carries the
group generation the worker is in, so the Kafka status store can keep a newer worker's status over
a stale one from an older generation (Kafka's putSafe); ``mark_unassigned``, what a worker writes for
the work it stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..stores.status import ConnectorTaskId, State, Status, StatusBackingStore

# What a worker that stopped an instance may have shown for it.
_SHOWN_RUNNING = (State.RUNNING, State.PAUSED, State.RESTARTING)


def mark_unassigned(status_store: StatusBackingStore, worker_id: str, connectors: list[str],
                    tasks: list[ConnectorTaskId]) -> None:
    """As Kafka's herder on a task's or connector's shutdown: the work this worker stopped (it left
    the group, lost its session, or the work was revoked) shows UNASSIGNED on this worker until its
    next owner writes, never RUNNING here. putSafe, stamped with this worker's generation: a newer
    owner's status is never replaced; FAILED (its trace) and STOPPED (a target state) stay."""
    for name in connectors:
        current = status_store.connector(name)
        if current is not None and current.worker_id == worker_id and current.state in _SHOWN_RUNNING:
            status_store.put_connector_safe(name, Status(State.UNASSIGNED, worker_id))
    for task_id in tasks:
        current = status_store.task(task_id)
        if current is not None and current.worker_id == worker_id and current.state in _SHOWN_RUNNING:
            status_store.put_task_safe(task_id, Status(State.UNASSIGNED, worker_id))


class GenerationStampedStatusStore(StatusBackingStore):
    def __init__(self, store: StatusBackingStore, generation: Callable[[], int]) -> None:
        self.store = store
        self._generation = generation

    def _stamped(self, status: Status) -> Status:
        return replace(status, generation=self._generation())

    def put_connector(self, connector: str, status: Status) -> None:
        self.store.put_connector(connector, self._stamped(status))

    def put_task(self, task_id: ConnectorTaskId, status: Status) -> None:
        self.store.put_task(task_id, self._stamped(status))

    def put_connector_safe(self, connector: str, status: Status) -> bool:
        return self.store.put_connector_safe(connector, self._stamped(status))

    def put_task_safe(self, task_id: ConnectorTaskId, status: Status) -> bool:
        return self.store.put_task_safe(task_id, self._stamped(status))

    def connector(self, connector: str) -> Status | None:
        return self.store.connector(connector)

    def task(self, task_id: ConnectorTaskId) -> Status | None:
        return self.store.task(task_id)

    def tasks(self, connector: str) -> dict[int, Status]:
        return self.store.tasks(connector)

    def forget(self, connector: str) -> None:
        self.store.forget(connector)

    def forget_task(self, task_id: ConnectorTaskId) -> None:
        self.store.forget_task(task_id)

    def __getattr__(self, name: str):  # start(), stop(), refresh() of the Kafka store
        return getattr(self.store, name)
