"""Which source offsets are safe to commit (SubmittedRecords in Kafka Connect).

The broker acknowledges records asynchronously, and a commit must never claim an offset whose
record, or any earlier record, is still in flight. Records are tracked per batch (one
``poll()``): a batch counts its unacknowledged records and remembers the last offset of each
source partition it carried. Batches are committed in submission order, each only once all of
its records are acknowledged — so one counter decrement per record instead of an object per
record, which matters at hundreds of thousands of records a second.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from ..api.task import freeze_partition


class SubmittedBatch:
    __slots__ = ("remaining", "submitted", "polled", "offsets", "closed", "_last_partition", "_last_key")

    def __init__(self, polled: int = 0) -> None:
        self.remaining = 0
        self.polled = polled  # records of the poll() batch this batch accounts for (active counts)
        self.submitted = 0  # records added in flight (handed to the producer): source-record-write-total
        # partition key → (partition, offset) of the last record of that partition in the batch.
        self.offsets: dict[tuple, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = {}
        self.closed = False
        self._last_partition: Mapping[str, Any] | None = None
        self._last_key: tuple = ()

    def add(self, partition: Mapping[str, Any] | None, offset: Mapping[str, Any] | None, in_flight: bool = True) -> None:
        """Record one record's offset; ``in_flight`` records must be acknowledged with ``ack``."""
        if in_flight:
            self.remaining += 1
            self.submitted += 1
        if partition is None:
            return
        # Tasks usually reuse one partition dict for a whole batch: freeze it once.
        if partition is self._last_partition:
            key = self._last_key
        else:
            key = freeze_partition(partition)
            self._last_partition, self._last_key = partition, key
        self.offsets[key] = (partition, offset)

    def ack(self) -> None:
        self.remaining -= 1

    @property
    def done(self) -> bool:
        return self.closed and self.remaining <= 0


class SubmittedRecords:
    def __init__(self) -> None:
        self._batches: deque[SubmittedBatch] = deque()
        # Batches not yet fully acknowledged, oldest first, and the polled records of those that
        # were (source-record-active-count = polled − settled, as Kafka's SourceRecordWriteCounter
        # takes a poll batch out of the count once all its records are written or skipped).
        self._unsettled: deque[SubmittedBatch] = deque()
        self.settled = 0

    def new_batch(self, polled: int = 0) -> SubmittedBatch:
        batch = SubmittedBatch(polled)
        self._batches.append(batch)
        self._unsettled.append(batch)
        return batch

    def settle(self) -> int:
        """The records of every leading batch now fully acknowledged, counted in ``settled``
        (returned). Once per poll loop: a batch check, never per record."""
        unsettled = self._unsettled
        while unsettled and unsettled[0].done:
            self.settled += unsettled.popleft().polled
        return self.settled

    def committable(self) -> dict[tuple, tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
        """``{partition key: (partition, offset)}`` from every fully delivered leading batch."""
        out: dict[tuple, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = {}
        batches = self._batches
        while batches and batches[0].done:
            out.update(batches.popleft().offsets)
        return out

    @property
    def in_flight(self) -> int:
        return sum(max(b.remaining, 0) for b in self._batches)
