"""DB → Connect type helpers shared by the dialects (numeric.mapping, timestamps, optionality)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from ...api.data import Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type

_UTC = dt.timezone.utc


def primitive(t: Type, optional: bool) -> Schema:
    return Schema(t, optional=optional)


def logical(cls: Any, optional: bool) -> Schema:
    return cls.OPTIONAL_SCHEMA if optional else cls.SCHEMA


def date_schema(optional: bool) -> Schema:
    return logical(Date, optional)


def time_schema(optional: bool) -> Schema:
    return logical(Time, optional)


def timestamp_schema(optional: bool) -> Schema:
    return logical(Timestamp, optional)


def int_type_for_precision(precision: int) -> Type:
    # Confluent's GenericDatabaseDialect: >9 → INT64, >4 → INT32, >2 → INT16, else INT8.
    if precision > 9:
        return Type.INT64
    if precision > 4:
        return Type.INT32
    if precision > 2:
        return Type.INT16
    return Type.INT8


def _to_int(v: Any) -> Any:
    return None if v is None else int(v)


def _to_float(v: Any) -> Any:
    return None if v is None else float(v)


def _to_str(v: Any) -> Any:
    if v is None:
        return None
    # A Decimal in plain notation, as the database writes it ("0.0000001", not str()'s "1E-7").
    return format(v, "f") if isinstance(v, decimal.Decimal) else str(v)


def numeric_mapping(precision: int | None, scale: int | None, optional: bool,
                    mapping: str) -> tuple[Schema, Callable[[Any], Any] | None]:
    """numeric.mapping for a NUMERIC/DECIMAL column (Confluent's rules, §1.2).

    ``precision`` None means an unconstrained PostgreSQL ``numeric``: its values have varying
    scales, which a Connect Decimal (fixed scale) cannot carry exactly, so it becomes a STRING
    with the exact decimal text — except under best_fit_eager_double, which asks for doubles.
    """
    if precision is None or precision <= 0:
        if mapping == "best_fit_eager_double":
            return primitive(Type.FLOAT64, optional), _to_float
        return primitive(Type.STRING, optional), _to_str
    scale = scale or 0
    if mapping == "precision_only" and scale == 0 and precision < 19:
        return primitive(int_type_for_precision(precision), optional), _to_int
    if mapping == "best_fit" and precision < 19:
        if scale < 1:
            return primitive(int_type_for_precision(precision), optional), _to_int
        return primitive(Type.FLOAT64, optional), _to_float
    if mapping == "best_fit_eager_double":
        if scale > 0:
            return primitive(Type.FLOAT64, optional), _to_float
        if precision < 19:
            return primitive(int_type_for_precision(precision), optional), _to_int
    return Decimal.schema(scale, precision, optional), None


def decimal_from_int(precision: int, optional: bool) -> tuple[Schema, Callable[[Any], Any]]:
    """BIGINT UNSIGNED → Decimal(20,0): it does not fit INT64."""
    def convert(v: Any) -> Any:
        return None if v is None else decimal.Decimal(v)
    return Decimal.schema(0, precision, optional), convert


def zone_less_converter(tz: Any) -> Callable[[Any], Any] | None:
    """Naive wall-clock datetimes in ``tz`` → aware. None (identity) for UTC: the converters
    read a naive datetime as UTC already, and skipping the call keeps the row loop cheap."""
    if getattr(tz, "key", None) in ("UTC", "Etc/UTC") or tz is _UTC:
        return None

    def convert(v: Any) -> Any:
        return v.replace(tzinfo=tz) if v is not None and isinstance(v, dt.datetime) else v
    return convert


def array_schema(element: Schema, optional: bool) -> Schema:
    builder = SchemaBuilder.array(element)
    return (builder.optional() if optional else builder).build()


def compose(first: Callable[[Any], Any] | None, second: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    if first is None:
        return second
    if second is None:
        return first
    return lambda v: second(first(v))


def instant(value: Any) -> dt.datetime | None:
    """A converted timestamp value → aware UTC datetime (naive values are UTC)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
    raise TypeError(f"not a timestamp: {value!r}")


# ------------------------------------------------------------------------------ timestamp.granularity

CONNECT_LOGICAL = "connect_logical"
GRANULARITIES = (CONNECT_LOGICAL, "micros_long", "micros_string", "micros_iso_datetime_string",
                 "nanos_long", "nanos_string", "nanos_iso_datetime_string")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_MICRO = dt.timedelta(microseconds=1)


def granularity_schema(granularity: str, optional: bool) -> Schema:
    """The schema of a timestamp column under ``timestamp.granularity`` (Confluent's
    TimestampGranularity.schemaFunction): Connect Timestamp, INT64 (*_long) or STRING."""
    if granularity == CONNECT_LOGICAL:
        return timestamp_schema(optional)
    return primitive(Type.INT64 if granularity.endswith("_long") else Type.STRING, optional)


def _iso(value: Any, tz: Any, nanos: bool) -> str:
    # Confluent formats the instant at db.timezone, pattern yyyy-MM-dd'T'HH:mm:ss.SSSSSS (or 9 digits),
    # no zone designator; written field by field so that years < 1000 keep 4 digits as in Java.
    d = instant(value).astimezone(tz)
    text = (f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}."
            f"{d.microsecond:06d}")
    return text + "000" if nanos else text


def granularity_converter(granularity: str, tz: Any) -> Callable[[Any], Any] | None:
    """A converted timestamp value (aware or naive-UTC datetime) → its representation under
    ``granularity`` (Confluent's TimestampGranularity.fromTimestamp); None for connect_logical.

    The databases here store microseconds, so nanos values are micros × 1000 (exact, no float)."""
    if granularity == CONNECT_LOGICAL:
        return None
    scale = 1000 if granularity.startswith("nanos") else 1
    if granularity.endswith("_iso_datetime_string"):
        nanos = scale == 1000

        def convert(v: Any) -> Any:
            return None if v is None else _iso(v, tz, nanos)
    elif granularity.endswith("_long"):
        def convert(v: Any) -> Any:
            return None if v is None else ((instant(v) - _EPOCH) // _MICRO) * scale
    else:
        def convert(v: Any) -> Any:
            return None if v is None else str(((instant(v) - _EPOCH) // _MICRO) * scale)
    return convert


def apply_granularity(columns: list[Any], granularity: str, tz: Any) -> dict[int, Callable[[Any], Any]]:
    """Give the timestamp columns (not DATE/TIME) of a result their ``timestamp.granularity``
    schema; returns {column index: value converter} for them. Each mapping's own ``convert``
    is left alone: it still yields the datetime the offsets are computed from."""
    step = granularity_converter(granularity, tz)
    if step is None:
        return {}
    out = {}
    for i, c in enumerate(columns):
        if c.is_timestamp:
            c.schema = granularity_schema(granularity, c.schema.optional)
            out[i] = compose(c.convert, step)
    return out
