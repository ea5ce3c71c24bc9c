"""SimpleHeaderConverter (org.apache.kafka.connect.storage.SimpleHeaderConverter), the worker's
default ``header.converter``: header values are written as text and read back with their schema
inferred (dbconnect.api.values, Kafka's Values.convertToString / Values.parseString)."""

from __future__ import annotations

import logging
from typing import Any

from ..api.converter import HeaderConverter
from ..api.data import BYTES_SCHEMA, Schema, SchemaAndValue
from ..api.values import convert_to_string, parse_string

log = logging.getLogger(__name__)

_NULL = SchemaAndValue(None, None)


class SimpleHeaderConverter(HeaderConverter):
    """``"42"`` is read as INT8 42, ``"true"`` as a boolean, ``"[1,2]"`` as an array,
    ``"2024-05-01"`` as a Date, any other text as a string; bytes that are not UTF-8 stay bytes.
    Writing: strings as they are, everything else as Kafka's Values.convertToString prints it."""

    aliases = ("SimpleHeaderConverter", "org.apache.kafka.connect.storage.SimpleHeaderConverter")

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        if value is None:
            return _NULL
        try:
            return parse_string(bytes(value).decode("utf-8"))
        except Exception:  # noqa: BLE001 - as Kafka: anything unreadable is kept as bytes
            log.warning("Failed to deserialize value for header '%s' on topic '%s', so using byte array",
                        header_key, topic, exc_info=True)
            return SchemaAndValue(BYTES_SCHEMA, bytes(value))

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        return convert_to_string(schema, value).encode("utf-8")
