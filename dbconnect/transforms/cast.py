"""Cast$Key / Cast$Value: Kafka's ``org.apache.kafka.connect.transforms.Cast``.

``spec=f1:int32,f2:string`` casts fields of a Struct or map; a bare type (``spec=int64``) casts
the whole key or value. Integers, floats, booleans and strings cast to any of int8…float64,
boolean and string; bytes only to string (base64); Date, Time and Timestamp fields cast to their
integer encoding (or beyond it) and Decimal to any number, with Java's narrowing (wrapping
integers, saturating floats), and every logical type to string (dates as ISO-8601 in UTC, chosen
by the value as Kafka's ``Values.dateFormatFor`` does). A null key or value passes through.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import logging
import re
from collections.abc import Mapping
from typing import Any

from dbconnect.api.values import java_double_string, java_float_string
from dbconnect.api.data import Date, Schema, SchemaBuilder, Struct, Time, Timestamp, Type
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.api.records import ConnectRecord

from .base import (
    KeyOrValueTransformation, copy_schema_basics, key_and_value_variants, load_definition, parse_config,
    require_map, require_struct,
)
from .support import SchemaCache, float_to_long, java_split, struct_from, struct_values, to_float32, wrap_int

__all__ = ["Cast", "CastKey", "CastValue", "parse_field_types", "cast_value"]

log = logging.getLogger(__name__)

PURPOSE = "cast types"
SPEC = "spec"
WHOLE_VALUE = None
INPUT_TYPES = (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.BOOLEAN,
               Type.STRING, Type.BYTES)
OUTPUT_TYPES = INPUT_TYPES[:-1]
_INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}
_LOGICAL_ENCODERS = {Date.LOGICAL_NAME: Date, Time.LOGICAL_NAME: Time, Timestamp.LOGICAL_NAME: Timestamp}
_JAVA_INT = re.compile(r"[+-]?[0-9]+")
_JAVA_FLOAT = re.compile(r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)")
_MS_PER_DAY = 86_400_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _java_types(types: tuple[Type, ...]) -> str:
    return "[" + ", ".join(str(t) for t in types) + "]"


# ------------------------------------------------------------------------------ the spec

def _spec_error(mappings: list[str], reason: str) -> ConfigError:
    message = f"Invalid value [{', '.join(mappings)}] for configuration {SPEC}: {reason}"
    return ConfigError(message, {SPEC: [message]})


def _output_type(text: str, mappings: list[str]) -> Type:
    name = text.strip()
    try:
        kind = Type[name.upper()]
    except KeyError:
        raise _spec_error(mappings, f"Invalid type found in casting spec: {name}") from None
    if kind not in OUTPUT_TYPES:
        raise _spec_error(mappings, f"Cast transformation does not support casting to {kind}; "
                                    f"supported types are {_java_types(OUTPUT_TYPES)}")
    return kind


def parse_field_types(mappings: list[str]) -> dict[str | None, Type]:
    """Cast's ``spec``: field → target type, the whole value's under None. The definition's JSON
    Schema refuses the same values first (so validate reports them); this keeps Kafka's messages."""
    if not mappings:
        raise _spec_error(mappings, "Must specify at least one field to cast.")
    casts: dict[str | None, Type] = {}
    whole_value = False
    for mapping in mappings:
        parts = java_split(mapping, ":")
        if len(parts) > 2 or not parts:
            raise _spec_error(mappings, f"Invalid rename mapping: {mapping}")
        if len(parts) == 1:
            casts[WHOLE_VALUE] = _output_type(parts[0], mappings)
            whole_value = True
        else:
            casts[parts[0].strip()] = _output_type(parts[1], mappings)
    if whole_value and len(mappings) > 1:
        raise _spec_error(mappings, "Cast transformations that specify a type to cast the entire value to "
                                    "may only specify a single cast in their spec")
    return casts


# ------------------------------------------------------------------------------ one value

def _inferred_type(value: Any) -> Type | None:
    """Kafka's ConnectSchema.schemaType for a schemaless value (None: not a Connect value)."""
    if isinstance(value, bool):
        return Type.BOOLEAN
    if isinstance(value, int):
        return Type.INT64
    if isinstance(value, float):
        return Type.FLOAT64
    if isinstance(value, str):
        return Type.STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Type.BYTES
    if isinstance(value, (list, tuple)):
        return Type.ARRAY
    if isinstance(value, Mapping):
        return Type.MAP
    if isinstance(value, Struct):
        return Type.STRUCT
    return None


def cast_value(schema: Schema | None, value: Any, target: Type) -> Any:
    """Kafka's castValueToType: ``value`` (of ``schema``, or schemaless) as ``target``."""
    if value is None:
        return None
    inferred = schema.type if schema is not None else _inferred_type(value)
    if inferred is None:
        raise DataError(f"Cast transformation was passed a value of type {type(value).__name__} "
                        f"which is not supported by Connect's data API")
    if inferred not in INPUT_TYPES:
        raise DataError(f"Cast transformation does not support casting from {inferred}; "
                        f"supported types are {_java_types(INPUT_TYPES)}")
    if schema is not None and schema.name and target is not Type.STRING:
        encoder = _LOGICAL_ENCODERS.get(schema.name)
        if encoder is not None:
            value = encoder.from_logical(schema, value)
    if target in _INT_BITS:
        return _to_int(value, _INT_BITS[target])
    if target is Type.FLOAT32:
        return to_float32(_to_double(value))
    if target is Type.FLOAT64:
        return _to_double(value)
    if target is Type.BOOLEAN:
        return _to_boolean(value)
    if target is Type.STRING:
        return _to_string(value, schema)
    raise DataError(f"{target} is not supported in the Cast transformation.")


def _unexpected(value: Any) -> DataError:
    return DataError(f"Unexpected type in Cast transformation: {type(value).__name__}")


def _out_of_range(value: Any) -> DataError:
    return DataError(f"Value ({value}) was out of range for requested data type")


def _to_int(value: Any, bits: int) -> int:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return wrap_int(value, bits)
    if isinstance(value, float):
        return float_to_long(value, bits)
    if isinstance(value, decimal.Decimal):  # BigDecimal.longValue / intValue: the integer part's low bits
        return wrap_int(int(value), bits)
    if isinstance(value, str):  # Byte.parseByte, Short.parseShort, Integer.parseInt, Long.parseLong
        if not _JAVA_INT.fullmatch(value):
            raise _out_of_range(value)
        number = int(value)
        if not -(1 << (bits - 1)) <= number < (1 << (bits - 1)):
            raise _out_of_range(value)
        return number
    raise _unexpected(value)


def _to_double(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, str):  # Double.parseDouble (Java trims spaces and control characters)
        text = value.strip("".join(chr(c) for c in range(33)))
        if not _JAVA_FLOAT.fullmatch(text):
            raise _out_of_range(value)
        return float(text.rstrip("fFdD"))
    raise _unexpected(value)


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return wrap_int(value, 64) != 0
    if isinstance(value, float):
        return float_to_long(value) != 0
    if isinstance(value, decimal.Decimal):
        return wrap_int(int(value), 64) != 0
    if isinstance(value, str):  # Boolean.parseBoolean
        return value.lower() == "true"
    raise _unexpected(value)


def _to_string(value: Any, schema: Schema | None) -> str:
    if isinstance(value, (dt.date, dt.time)):
        return format_date(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_float_str(value, single=schema is not None and schema.type is Type.FLOAT32)
    return str(value)


def _millis(value: dt.date | dt.time) -> int:
    if isinstance(value, dt.datetime):
        return Timestamp.from_logical(None, value)
    if isinstance(value, dt.date):
        return Date.from_logical(None, value) * _MS_PER_DAY
    return Time.from_logical(None, value)


def format_date(value: dt.date | dt.time) -> str:
    """Kafka's ``Values.dateFormatFor(value).format(value)`` in UTC: the format is chosen by the
    instant, not the schema (a time of day before 1970-01-02, a date at midnight, else both)."""
    millis = _millis(value)
    instant = _EPOCH + dt.timedelta(milliseconds=millis)
    time_part = f"{instant:%H:%M:%S}.{instant.microsecond // 1000:03d}Z"
    if millis < _MS_PER_DAY:
        return time_part
    date_part = f"{instant.year:04d}-{instant:%m-%d}"
    return date_part if millis % _MS_PER_DAY == 0 else f"{date_part}T{time_part}"


def java_float_str(value: float, single: bool = False) -> str:
    """Java's ``Double.toString`` (or ``Float.toString`` for a FLOAT32 value), from the one
    implementation in dbconnect.api.values (SimpleHeaderConverter's)."""
    return java_float_string(value) if single else java_double_string(float(value))


# ------------------------------------------------------------------------------ the transform

class Cast(KeyOrValueTransformation):
    """Cast fields or the entire key or value to a specific type."""

    def config(self):
        return load_definition("cast")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.casts = parse_field_types(config[SPEC])
        self.whole_value_type = self.casts.get(WHOLE_VALUE)
        self.replace_null_with_default = config["replace.null.with.default"]
        self._cache = SchemaCache()
        self._cast_fields = SchemaCache()

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        value = self.operating_value(record)
        if value is None:
            return record
        schema = self.operating_schema(record)
        if schema is None:
            return self._apply_schemaless(record, value)
        return self._apply_with_schema(record, schema, value)

    def _apply_schemaless(self, record: ConnectRecord, value: Any) -> ConnectRecord:
        if self.whole_value_type is not None:
            return self.new_record(record, None, cast_value(None, value, self.whole_value_type))
        original = require_map(value, PURPOSE)
        updated = dict(original)
        for name, target in self.casts.items():
            updated[name] = cast_value(None, original.get(name), target)
        return self.new_record(record, None, updated)

    def _apply_with_schema(self, record: ConnectRecord, schema: Schema, value: Any) -> ConnectRecord:
        updated_schema = self._cache.get_or_build(schema, self._updated_schema)
        if self.whole_value_type is not None:
            return self.new_record(record, updated_schema, cast_value(schema, value, self.whole_value_type))
        struct = require_struct(value, PURPOSE)
        values = struct_values(struct, self.replace_null_with_default)
        for field, target in self._cast_fields.get_or_build(schema, self._cast_fields_of):
            values[field.index] = cast_value(field.schema, values[field.index], target)
        return self.new_record(record, updated_schema, struct_from(updated_schema, values))

    def _cast_fields_of(self, schema: Schema) -> tuple:
        """(input field, its target type) of the fields the spec casts."""
        return tuple((f, self.casts[f.name]) for f in schema.fields if f.name in self.casts)

    def _updated_schema(self, schema: Schema) -> Schema:
        if self.whole_value_type is not None:
            builder = copy_schema_basics(schema, SchemaBuilder(self.whole_value_type))
        else:
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            for field in schema.fields:
                target = self.casts.get(field.name)
                if target is None:
                    builder.field(field.name, field.schema)
                    continue
                field_builder = SchemaBuilder(target)
                if field.schema.optional:
                    field_builder.optional()
                if field.schema.default is not None:
                    field_builder.default_value(cast_value(field.schema, field.schema.default, target))
                builder.field(field.name, field_builder.build())
        if schema.optional:
            builder.optional()
        if schema.default is not None:
            builder.default_value(cast_value(schema, schema.default, self.whole_value_type or Type.STRUCT))
        return builder.build()

    def close(self) -> None:
        self._cache = self._cast_fields = None


CastKey, CastValue = key_and_value_variants(Cast)
