"""Records and helpers the transforms' unit tests share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.records import SinkRecord, SourceRecord


def make(cls: type, configs: Mapping[str, Any]):
    transform = cls()
    transform.configure(dict(configs))
    return transform


def source(value_schema=None, value=None, key_schema=None, key=None, topic="test", partition=0,
           timestamp=None) -> SourceRecord:
    return SourceRecord(None, None, topic, value=value, value_schema=value_schema, key=key, key_schema=key_schema,
                        partition=partition, timestamp=timestamp)


def sink(value_schema=None, value=None, key_schema=None, key=None, topic="test", partition=0, offset=0,
         timestamp=None) -> SinkRecord:
    return SinkRecord(topic, partition, key_schema, key, value_schema, value, offset, timestamp=timestamp)


def operated(record, side: str):
    """(schema, value) of the side a transform changed."""
    return (record.key_schema, record.key) if side == "key" else (record.value_schema, record.value)


def on_side(side: str, schema=None, value=None, other_schema=None, other=None, record=source, **kw):
    """A record whose ``side`` ("key"/"value") holds ``schema``/``value`` and the other side ``other``."""
    if side == "key":
        return record(key_schema=schema, key=value, value_schema=other_schema, value=other, **kw)
    return record(value_schema=schema, value=value, key_schema=other_schema, key=other, **kw)
