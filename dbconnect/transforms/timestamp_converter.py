"""Kafka's ``org.apache.kafka.connect.transforms.TimestampConverter$Key`` / ``$Value``: converts a
timestamp (the whole key/value, or the struct/map field ``field``) between Unix epoch numbers,
strings (``format``, a SimpleDateFormat pattern in UTC), and Connect's Date, Time and Timestamp.

The input's kind comes from the schema (Timestamp, Date, Time by logical name; STRING is a string
in ``format``; INT64 is a Unix time in ``unix.precision``) or, without a schema, from the Python
value: a ``datetime`` is a Timestamp, a ``date`` a Date, a ``time`` a Time, an ``int`` a Unix time,
a ``str`` a string. Every conversion goes through milliseconds since the epoch, as Kafka's goes
through ``java.util.Date``: sub-millisecond digits are lost (Kafka's documented precision loss),
and Unix seconds/microseconds/nanoseconds are truncated towards zero, as ``TimeUnit`` does.
Values: Date → ``datetime.date``, Time → ``datetime.time``, Timestamp → a UTC ``datetime``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.data import (
    INT64_SCHEMA, OPTIONAL_INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, Schema, SchemaBuilder, Struct,
    Time, Timestamp, Type,
)
from dbconnect.api.errors import ConfigError, ConnectError, DataError
from dbconnect.api.records import ConnectRecord

from .base import (
    KeyOrValueTransformation, copy_schema_basics, key_and_value_variants, load_definition, parse_config,
    require_map, require_struct_or_null,
)
from .java_date_format import JavaDateFormat, JavaDateFormatError, JavaDateParseError

__all__ = ["TimestampConverter", "TimestampConverterKey", "TimestampConverterValue"]

PURPOSE = "converting timestamp formats"
TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP = "string", "unix", "Date", "Time", "Timestamp"
_MS_PER_DAY = 86_400_000
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
# unix.precision → (units per millisecond as a multiplier, or milliseconds per unit as a divisor)
_UNITS_PER_MS = {"seconds": None, "milliseconds": 1, "microseconds": 1_000, "nanoseconds": 1_000_000}

_SCHEMAS = {
    TYPE_STRING: (STRING_SCHEMA, OPTIONAL_STRING_SCHEMA),
    TYPE_UNIX: (INT64_SCHEMA, OPTIONAL_INT64_SCHEMA),
    TYPE_DATE: (Date.SCHEMA, Date.OPTIONAL_SCHEMA),
    TYPE_TIME: (Time.SCHEMA, Time.OPTIONAL_SCHEMA),
    TYPE_TIMESTAMP: (Timestamp.SCHEMA, Timestamp.OPTIONAL_SCHEMA),
}


def _trunc_div(a: int, b: int) -> int:
    """Java's long division: towards zero."""
    q = abs(a) // b
    return q if a >= 0 else -q


def _instant(value: Any) -> int:
    """Milliseconds since the epoch of a datetime (naive = UTC), a date (midnight UTC) or a time
    (on 1970-01-01 UTC): what a java.util.Date holds."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    if isinstance(value, _dt.date):
        return (value.toordinal() - _EPOCH_ORDINAL) * _MS_PER_DAY
    return Time.from_logical(None, value)


class TimestampConverter(KeyOrValueTransformation):
    """Convert timestamps between Unix epoch, strings, and Connect Date/Time/Timestamp types."""

    def __init__(self) -> None:
        self._schema_cache: dict[Schema, Schema] = {}

    def config(self) -> ConfigDefinition:
        return load_definition("timestamp-converter")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.field: str = config["field"]
        self.type: str = config["target.type"]
        self.unix_precision: str = config["unix.precision"]
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        pattern: str = config["format"]
        if self.type == TYPE_STRING and not pattern.strip():
            message = "TimestampConverter requires format option to be specified when using string timestamps"
            raise ConfigError(message, {"format": [message]})
        self.format: JavaDateFormat | None = None
        if pattern.strip():
            try:
                self.format = JavaDateFormat(pattern)
            except JavaDateFormatError as e:
                message = ("TimestampConverter requires a SimpleDateFormat-compatible pattern for string "
                           f"timestamps: {pattern} ({e})")
                raise ConfigError(message, {"format": [message]}) from None
        self._schema_cache = {}

    # ------------------------------------------------------------------ apply

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        schema = self.operating_schema(record)
        if schema is None:
            return self._apply_schemaless(record)
        return self._apply_with_schema(record, schema)

    def _apply_with_schema(self, record: ConnectRecord, schema: Schema) -> ConnectRecord:
        value = self.operating_value(record)
        if not self.field:
            updated_schema = _SCHEMAS[self.type][1 if schema.optional else 0]
            return self.new_record(record, updated_schema, self._convert(value, _type_from_schema(schema)))
        struct = require_struct_or_null(value, PURPOSE)
        updated_schema = self._schema_cache.get(schema)
        if updated_schema is None:
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            for field in schema.fields:
                if field.name == self.field:
                    builder.field(field.name, _SCHEMAS[self.type][1 if field.schema.optional else 0])
                else:
                    builder.field(field.name, field.schema)
            if schema.optional:
                builder.optional()
            if schema.default is not None:
                builder.default_value(self._convert_struct(schema.default, builder.build()))
            updated_schema = builder.build()
            if len(self._schema_cache) >= 16:
                self._schema_cache.clear()
            self._schema_cache[schema] = updated_schema
        return self.new_record(record, updated_schema, self._convert_struct(struct, updated_schema))

    def _convert_struct(self, value: Struct | None, updated_schema: Schema) -> Struct | None:
        if value is None:
            return None
        updated = Struct(updated_schema)
        for field in value.schema.fields:
            field_value = value.get(field) if self.replace_null_with_default else value.get_without_default(field)
            if field.name == self.field:
                field_value = self._convert(field_value, _type_from_schema(field.schema))
            updated.put(field.name, field_value)
        return updated

    def _apply_schemaless(self, record: ConnectRecord) -> ConnectRecord:
        raw = self.operating_value(record)
        if raw is None or not self.field:
            return self.new_record(record, None, self._convert(raw, None))
        mapping = require_map(raw, PURPOSE)
        updated = dict(mapping)
        updated[self.field] = self._convert(mapping.get(self.field), None)
        return self.new_record(record, None, updated)

    # ------------------------------------------------------------------ conversion

    def _convert(self, timestamp: Any, kind: str | None) -> Any:
        if timestamp is None:
            return None
        if kind is None:
            kind = _infer_type(timestamp)
        return self._to_type(self._to_raw(timestamp, kind))

    def _to_raw(self, value: Any, kind: str) -> int:
        if kind == TYPE_STRING:
            if not isinstance(value, str):
                raise DataError(f"Expected string timestamp to be a String, but found {type(value).__name__}")
            if self.format is None:
                raise DataError(f"Could not parse timestamp: value ({value}): no format is configured")
            try:
                return self.format.parse(value)
            except JavaDateParseError as e:
                raise DataError(f"Could not parse timestamp: value ({value}) does not match pattern "
                                f"({self.format.pattern})") from e
        if kind == TYPE_UNIX:
            if not isinstance(value, int) or isinstance(value, bool):
                raise DataError(f"Expected Unix timestamp to be a Long, but found {type(value).__name__}")
            per_ms = _UNITS_PER_MS[self.unix_precision]
            return value * 1000 if per_ms is None else _trunc_div(value, per_ms)
        expected = {TYPE_DATE: (_dt.date,), TYPE_TIME: (_dt.time, _dt.datetime),
                    TYPE_TIMESTAMP: (_dt.datetime, _dt.date)}[kind]
        if not isinstance(value, expected):
            raise DataError(f"Expected {kind} to be a java.util.Date, but found {type(value).__name__}")
        return _instant(value)

    def _to_type(self, millis: int) -> Any:
        kind = self.type
        if kind == TYPE_STRING:
            try:
                return self.format.format(millis)  # type: ignore[union-attr]  # configure requires it
            except ValueError as e:
                raise DataError(str(e)) from None
        if kind == TYPE_UNIX:
            per_ms = _UNITS_PER_MS[self.unix_precision]
            return _trunc_div(millis, 1000) if per_ms is None else millis * per_ms
        days, ms_of_day = divmod(millis, _MS_PER_DAY)
        try:
            if kind == TYPE_DATE:
                return _dt.date.fromordinal(days + _EPOCH_ORDINAL)
            if kind == TYPE_TIME:
                return Time.to_logical(None, ms_of_day)
            return _EPOCH + _dt.timedelta(milliseconds=millis)
        except (ValueError, OverflowError):
            raise DataError(f"Timestamp {millis} is outside the years 1 to 9999") from None


def _type_from_schema(schema: Schema) -> str:
    if schema.name == Timestamp.LOGICAL_NAME:
        return TYPE_TIMESTAMP
    if schema.name == Date.LOGICAL_NAME:
        return TYPE_DATE
    if schema.name == Time.LOGICAL_NAME:
        return TYPE_TIME
    if schema.type is Type.STRING:
        return TYPE_STRING
    if schema.type is Type.INT64:
        return TYPE_UNIX
    raise ConnectError(f"Schema {schema!r} does not correspond to a known timestamp type format")


def _infer_type(timestamp: Any) -> str:
    # Kafka sees one java.util.Date for the three logical types; Python's three types say which.
    if isinstance(timestamp, _dt.datetime):
        return TYPE_TIMESTAMP
    if isinstance(timestamp, _dt.date):
        return TYPE_DATE
    if isinstance(timestamp, _dt.time):
        return TYPE_TIME
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        return TYPE_UNIX
    if isinstance(timestamp, str):
        return TYPE_STRING
    raise DataError(f"TimestampConverter does not support {type(timestamp).__name__} objects as timestamps")


TimestampConverterKey, TimestampConverterValue = key_and_value_variants(TimestampConverter)
