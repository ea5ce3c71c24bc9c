"""Source offsets in the offset topic (KafkaOffsetBackingStore).

Keys are the exact bytes of ``offset_key`` (``["<connector>",{partition}]``), values the offset
JSON, null deletes: Kafka Connect's format, so offsets move between a Java worker and ours. Records
are produced with librdkafka's ``murmur2_random`` partitioner, the Java client's murmur2, so both
put one key on the same partition (and compaction keeps only its latest value).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ...api.errors import ConnectError
from .kafka_based_log import READ_WRITE_TIMEOUT_S, KafkaLogStore, LogRecord
from .offsets import OffsetBackingStore

log = logging.getLogger(__name__)


class KafkaOffsetBackingStore(KafkaLogStore, OffsetBackingStore):
    def __init__(self, topic: str, client_config: Mapping[str, Any], start_timeout_s: float = 60.0,
                 **log_overrides: Any) -> None:
        self._data: dict[bytes, bytes] = {}
        self._lock = threading.Lock()
        producer_overrides = {"partitioner": "murmur2_random", **log_overrides.pop("producer_overrides", {})}
        super().__init__(topic, client_config, start_timeout_s, producer_overrides=producer_overrides,
                         **log_overrides)

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
        # As Kafka: read to the end first, so offsets written by another worker (the task's previous
        # owner) are seen.
        self._refresh_or_raise()
        with self._lock:
            return {k: self._data.get(k) for k in keys}

    def items(self) -> list[tuple[bytes, bytes]]:
        self._refresh_or_raise()
        with self._lock:
            return list(self._data.items())

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        """Durable when it returns: every record acknowledged by the broker (acks=all)."""
        if not values:
            return
        try:
            self._log.send_all(list(values.items()), READ_WRITE_TIMEOUT_S)
        except ConnectError as exc:
            raise ConnectError(f"Error writing offsets to Kafka: {exc}") from exc
        # Our own reads see our writes at once, as the value acknowledged is the value to come back.
        with self._lock:
            self._apply(values)

    def _refresh_or_raise(self) -> None:
        if not self._log.read_to_end(READ_WRITE_TIMEOUT_S):
            raise ConnectError(f"Timed out reading the offset topic {self.topic!r} to its end")

    def _read(self, record: LogRecord) -> None:
        if record.key is None:
            log.error("Discarding an offset record without a key at %d/%d", record.partition, record.offset)
            return
        with self._lock:
            self._apply({record.key: record.value})

    def _apply(self, values: Mapping[bytes, bytes | None]) -> None:
        for key, value in values.items():
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value
