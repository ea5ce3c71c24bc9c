"""ByteArrayConverter (org.apache.kafka.connect.converters.ByteArrayConverter)."""

from __future__ import annotations

from typing import Any

from ..api.data import OPTIONAL_BYTES_SCHEMA, Schema, SchemaAndValue, Type
from ..api.errors import DataError
from ..api.converter import HeaderConverter
from .base import Converter


class ByteArrayConverter(Converter, HeaderConverter):  # a header.converter too, as in Kafka
    """Passes raw bytes through untouched in both directions."""

    aliases = ("ByteArrayConverter", "org.apache.kafka.connect.converters.ByteArrayConverter")
    no_bytes_for_null = True

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Any = None) -> bytes | None:
        if schema is not None and schema.type is not Type.BYTES:
            raise DataError(f"Invalid schema type for ByteArrayConverter: {schema.type.name}")
        if value is None or type(value) is bytes:
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise DataError(f"ByteArrayConverter is not compatible with objects of type {type(value)}")

    def to_connect_data(self, topic: str, value: bytes | None, headers: Any = None) -> SchemaAndValue:
        if value is not None and type(value) is not bytes:
            value = bytes(value)
        return SchemaAndValue(OPTIONAL_BYTES_SCHEMA, value)
