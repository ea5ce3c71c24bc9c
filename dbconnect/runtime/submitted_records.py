"""Which source offsets are safe to commit (SubmittedRecords in Kafka Connect).

Records are acknowledged by the broker out of order across partitions, and a commit must
never claim an offset whose record, or any earlier record of the same source partition, is
still in flight. Each source partition keeps its records in submission order; a commit takes
the offset of the longest acknowledged prefix.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Mapping

from ..api.task import freeze_partition


class SubmittedRecord:
    __slots__ = ("partition_key", "partition", "offset", "acked")

    def __init__(self, partition_key: tuple, partition: Mapping[str, Any], offset: Mapping[str, Any] | None):
        self.partition_key = partition_key
        self.partition = partition
        self.offset = offset
        self.acked = False

    def ack(self) -> None:
        self.acked = True


class SubmittedRecords:
    def __init__(self) -> None:
        self._pending: dict[tuple, deque[SubmittedRecord]] = {}
        self._in_flight = 0

    def submit(self, partition: Mapping[str, Any] | None, offset: Mapping[str, Any] | None) -> SubmittedRecord | None:
        """Track a record; None when it carries no source partition (nothing to commit)."""
        if partition is None:
            return None
        key = freeze_partition(partition)
        record = SubmittedRecord(key, partition, offset)
        self._pending.setdefault(key, deque()).append(record)
        self._in_flight += 1
        return record

    def committable(self) -> dict[tuple, tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
        """``{partition key: (partition, offset)}`` for every partition that advanced.

        Removes the acknowledged prefix of each partition's queue.
        """
        out: dict[tuple, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = {}
        for key, queue in list(self._pending.items()):
            last: SubmittedRecord | None = None
            while queue and queue[0].acked:
                last = queue.popleft()
                self._in_flight -= 1
            if last is not None:
                out[key] = (last.partition, last.offset)
            if not queue:
                del self._pending[key]
        return out

    @property
    def in_flight(self) -> int:
        return self._in_flight
