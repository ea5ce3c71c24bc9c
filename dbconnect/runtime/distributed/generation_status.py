"""The status store as the worker sees it in distributed mode: every status it writes carries the
group generation the worker is in, so the Kafka status store can keep a newer worker's status over
a stale one from an older generation (Kafka's putSafe)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..stores.status import ConnectorTaskId, Status, StatusBackingStore


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
