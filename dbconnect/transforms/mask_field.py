"""MaskField$Key / MaskField$Value: Kafka's ``org.apache.kafka.connect.transforms.MaskField``.

Replaces the listed fields' values with the "null value" of their type (0, false, "", the epoch,
an empty list or map), or with ``replacement`` converted to the field's type (numbers and strings
only). As in Kafka, a null key or value is not passed through: it fails with Kafka's message
("Only Map objects supported in absence of schema for [mask fields], found: null").
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from dbconnect.api.data import Schema, Type
from dbconnect.api.errors import DataError
from dbconnect.api.records import ConnectRecord

from .base import (
    KeyOrValueTransformation, key_and_value_variants, load_definition, parse_config, require_map, require_struct,
)
from .support import SchemaCache, parse_big_decimal, struct_from, struct_values, to_float32, wrap_int

__all__ = ["MaskField", "MaskFieldKey", "MaskFieldValue"]

PURPOSE = "mask fields"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}


def _null_value(value: Any) -> Any:
    """Kafka's PRIMITIVE_VALUE_MAPPING, by the value's class (a fresh list or dict each time)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(0)
    if isinstance(value, str):
        return ""
    # Connect's Date, Time and Timestamp are all java.util.Date in Kafka: masked to the epoch.
    if isinstance(value, dt.datetime):
        return _EPOCH
    if isinstance(value, dt.date):
        return _EPOCH.date()
    if isinstance(value, dt.time):
        return dt.time(0)
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    raise DataError(f"Cannot mask value of type: {type(value).__name__}")


def _replacement_value(value: Any, replacement: str, schema: Schema | None) -> Any:
    """``replacement`` converted to the class of ``value``: integers as the field's integer type
    (INT64 without a schema, as Java's Long), floats as FLOAT32/FLOAT64, decimals, strings."""
    if isinstance(value, str):
        return replacement
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise DataError(f"Cannot mask value of type {type(value).__name__} with custom replacement.")
    number = parse_big_decimal(replacement)
    if isinstance(value, decimal.Decimal):
        if number is None:
            raise DataError(f"Unable to convert {replacement} (class java.lang.String) to number")
        return number
    if number is None:  # Values.asLong / asDouble
        raise DataError(f"Unable to convert {replacement} (class java.lang.String) to a number")
    kind = schema.type if schema is not None else None
    if isinstance(value, int):
        return wrap_int(int(number), _INT_BITS.get(kind, 64))
    as_double = float(number)
    return to_float32(as_double) if kind is Type.FLOAT32 else as_double


class MaskField(KeyOrValueTransformation):
    """Mask specified fields with a valid null value for the field type."""

    def config(self):
        return load_definition("mask-field")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.masked_fields = frozenset(config["fields"])
        self.replacement = config["replacement"]
        self.replace_null_with_default = config["replace.null.with.default"]
        # input schema → the fields to mask (Kafka looks each field name up in a set per record)
        self._cache = SchemaCache()

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        if self.operating_schema(record) is None:
            return self._apply_schemaless(record)
        return self._apply_with_schema(record)

    def _masked(self, value: Any, schema: Schema | None) -> Any:
        if value is None:
            return None
        if self.replacement is None:
            return _null_value(value)
        return _replacement_value(value, self.replacement, schema)

    def _apply_schemaless(self, record: ConnectRecord) -> ConnectRecord:
        value = require_map(self.operating_value(record), PURPOSE)
        updated = dict(value)
        for name in self.masked_fields:
            updated[name] = self._masked(value.get(name), None)
        return self.new_record(record, None, updated)

    def _apply_with_schema(self, record: ConnectRecord) -> ConnectRecord:
        struct = require_struct(self.operating_value(record), PURPOSE)
        schema = struct.schema
        values = struct_values(struct, self.replace_null_with_default)
        for field in self._cache.get_or_build(schema, self._masked_fields_of):
            values[field.index] = self._masked(values[field.index], field.schema)
        return self.new_record(record, schema, struct_from(schema, values))

    def _masked_fields_of(self, schema: Schema) -> tuple:
        return tuple(f for f in schema.fields if f.name in self.masked_fields)

    def close(self) -> None:
        self._cache = None


MaskFieldKey, MaskFieldValue = key_and_value_variants(MaskField)
