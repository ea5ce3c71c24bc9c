"""The Connect data model: the Python counterpart of ``org.apache.kafka.connect.data``.

Schemas, structs and validation are in ``schema``, the logical types in ``logical``; this module
exports both under the one name plugins and the rest of dbconnect import them from.
"""

from __future__ import annotations

from .logical import LOGICAL_TYPES, Date, Decimal, Time, Timestamp
from .schema import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    INT_RANGES,
    NULL_SCHEMA_AND_VALUE,
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_BYTES_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_INT8_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    Field,
    Schema,
    SchemaAndValue,
    SchemaBuilder,
    Struct,
    Type,
    validate_value,
)

__all__ = [
    "Type", "Field", "Schema", "SchemaBuilder", "Struct", "SchemaAndValue", "NULL_SCHEMA_AND_VALUE",
    "Decimal", "Date", "Time", "Timestamp", "LOGICAL_TYPES", "validate_value",
    "INT8_SCHEMA", "INT16_SCHEMA", "INT32_SCHEMA", "INT64_SCHEMA", "FLOAT32_SCHEMA", "FLOAT64_SCHEMA",
    "BOOLEAN_SCHEMA", "STRING_SCHEMA", "BYTES_SCHEMA", "OPTIONAL_INT8_SCHEMA", "OPTIONAL_INT16_SCHEMA",
    "OPTIONAL_INT32_SCHEMA", "OPTIONAL_INT64_SCHEMA", "OPTIONAL_FLOAT32_SCHEMA", "OPTIONAL_FLOAT64_SCHEMA",
    "OPTIONAL_BOOLEAN_SCHEMA", "OPTIONAL_STRING_SCHEMA", "OPTIONAL_BYTES_SCHEMA",
]
