"""Records exchanged between tasks and the runtime (SourceRecord, SinkRecord, headers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from .data import Schema


@dataclass(slots=True)
class Header:
    key: str
    value: Any
    schema: Schema | None = None


class Headers(list):
    """An ordered list of ``Header``; the same key may appear more than once."""

    def add(self, key: str, value: Any, schema: Schema | None = None) -> "Headers":
        self.append(Header(key, value, schema))
        return self

    def last_with_name(self, key: str) -> Header | None:
        for header in reversed(self):
            if header.key == key:
                return header
        return None

    def remove(self, key: str) -> "Headers":  # type: ignore[override]
        self[:] = [h for h in self if h.key != key]
        return self


def as_headers(value: Any) -> Headers:
    """``value`` as Headers: Headers as they are; a mapping, or (key, value) pairs, as Header objects."""
    if not value:
        return Headers()
    if isinstance(value, Headers):
        return value
    if isinstance(value, Mapping):
        return Headers(Header(k, v) for k, v in value.items())
    return Headers(h if isinstance(h, Header) else Header(h[0], h[1]) for h in value)


_headers = as_headers  # the name the records' constructors below use


@dataclass(slots=True)
class ConnectRecord:
    topic: str
    value: Any = None
    value_schema: Schema | None = None
    key: Any = None
    key_schema: Schema | None = None
    partition: int | None = None
    timestamp: int | None = None
    headers: Headers = field(default_factory=Headers)

    def __post_init__(self):
        self.headers = _headers(self.headers)


@dataclass(slots=True)
class SourceRecord(ConnectRecord):
    """A record produced by a SourceTask.

    ``source_partition`` and ``source_offset`` are the connector-defined maps under which
    the runtime stores the offset once the record has been delivered.
    """

    source_partition: Mapping[str, Any] | None = None
    source_offset: Mapping[str, Any] | None = None

    def __init__(
        self,
        source_partition: Mapping[str, Any] | None,
        source_offset: Mapping[str, Any] | None,
        topic: str,
        value: Any = None,
        value_schema: Schema | None = None,
        key: Any = None,
        key_schema: Schema | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Any = None,
    ):
        self.source_partition = source_partition
        self.source_offset = source_offset
        self.topic = topic
        self.value = value
        self.value_schema = value_schema
        self.key = key
        self.key_schema = key_schema
        self.partition = partition
        self.timestamp = timestamp
        self.headers = _headers(headers)

    def new_record(self, **changes: Any) -> "SourceRecord":
        """A copy with some fields replaced (what SMTs use)."""
        fields = dict(
            source_partition=self.source_partition, source_offset=self.source_offset,
            topic=self.topic, value=self.value, value_schema=self.value_schema, key=self.key,
            key_schema=self.key_schema, partition=self.partition, timestamp=self.timestamp,
            headers=Headers(self.headers),
        )
        fields.update(changes)
        return SourceRecord(**fields)


@dataclass(slots=True)
class SinkRecord(ConnectRecord):
    """A record handed to a SinkTask: a consumed record after conversion."""

    kafka_partition: int = 0
    kafka_offset: int = 0
    timestamp_type: str = "CreateTime"
    original_topic: str | None = None
    original_kafka_partition: int | None = None
    original_kafka_offset: int | None = None
    # The consumed Kafka message this record came from (runtime-internal; the DLQ reports it).
    consumed: Any = None

    def __init__(
        self,
        topic: str,
        kafka_partition: int,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        kafka_offset: int,
        timestamp: int | None = None,
        timestamp_type: str = "CreateTime",
        headers: Any = None,
    ):
        self.topic = topic
        self.partition = kafka_partition
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.kafka_offset = kafka_offset
        self.timestamp = timestamp
        self.timestamp_type = timestamp_type
        self.headers = _headers(headers)
        # Where the record came from, kept even when an SMT changes topic or partition.
        self.original_topic = topic
        self.original_kafka_partition = kafka_partition
        self.original_kafka_offset = kafka_offset
        self.consumed = None

    @classmethod
    def _of(cls, topic: str, kafka_partition: int, key_schema: Schema | None, key: Any,
            value_schema: Schema | None, value: Any, kafka_offset: int, timestamp: int | None,
            timestamp_type: str, headers: Headers, consumed: Any) -> "SinkRecord":
        """The runtime's constructor for consumed records: the same record as ``__init__``
        builds, without keyword handling (it runs once per consumed message)."""
        record = object.__new__(cls)
        record.topic = record.original_topic = topic
        record.partition = record.kafka_partition = record.original_kafka_partition = kafka_partition
        record.key_schema, record.key = key_schema, key
        record.value_schema, record.value = value_schema, value
        record.kafka_offset = record.original_kafka_offset = kafka_offset
        record.timestamp, record.timestamp_type = timestamp, timestamp_type
        record.headers, record.consumed = headers, consumed
        return record

    def new_record(self, **changes: Any) -> "SinkRecord":
        record = SinkRecord(
            topic=changes.get("topic", self.topic),
            kafka_partition=changes.get("kafka_partition", self.kafka_partition),
            key_schema=changes.get("key_schema", self.key_schema),
            key=changes.get("key", self.key),
            value_schema=changes.get("value_schema", self.value_schema),
            value=changes.get("value", self.value),
            kafka_offset=self.kafka_offset,
            timestamp=changes.get("timestamp", self.timestamp),
            timestamp_type=self.timestamp_type,
            headers=changes.get("headers", Headers(self.headers)),
        )
        record.original_topic = self.original_topic
        record.original_kafka_partition = self.original_kafka_partition
        record.original_kafka_offset = self.original_kafka_offset
        record.consumed = self.consumed
        return record
