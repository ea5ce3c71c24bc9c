"""The distributed worker's status store stamps every write with its generation, putSafe included."""

from __future__ import annotations

from dbconnect.runtime.distributed.generation_status import GenerationStampedStatusStore
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore, Status


class SafeRecordingStore(MemoryStatusBackingStore):
    def __init__(self) -> None:
        super().__init__()
        self.safe: list[tuple] = []

    def put_task_safe(self, task_id, status) -> bool:
        self.safe.append((task_id, status))
        return False

    def put_connector_safe(self, connector, status) -> bool:
        self.safe.append((connector, status))
        return False


def test_safe_writes_reach_the_stores_put_safe_stamped_with_the_generation():
    inner = SafeRecordingStore()
    store = GenerationStampedStatusStore(inner, lambda: 9)
    task = ConnectorTaskId("c", 0)
    assert store.put_task_safe(task, Status("UNASSIGNED", "w1:8083")) is False
    assert store.put_connector_safe("c", Status("UNASSIGNED", "w1:8083")) is False
    assert inner.safe == [(task, Status("UNASSIGNED", "w1:8083", generation=9)),
                          ("c", Status("UNASSIGNED", "w1:8083", generation=9))]
    assert inner.task(task) is None and inner.connector("c") is None
