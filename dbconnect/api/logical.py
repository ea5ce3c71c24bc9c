"""Connect's logical types: ``Decimal``, ``Date``, ``Time`` and ``Timestamp`` (``org.apache.kafka.connect.data``).

Each is a schema builder with a logical name over a primitive type, and the conversions between the
Python value (``decimal.Decimal``, ``datetime.date``/``time``/``datetime``) and the primitive one.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal

from .errors import DataError
from .schema import Schema, SchemaBuilder

__all__ = ["Decimal", "Date", "Time", "Timestamp", "LOGICAL_TYPES"]

_EPOCH_DATE_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
_ONE_MS = _dt.timedelta(milliseconds=1)
_MS_PER_DAY = 86_400_000
_EXACT = _decimal.Context(prec=_decimal.MAX_PREC, Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN)


def _check_logical(schema: Schema | None, logical_name: str, what: str) -> None:
    if schema is not None and schema.name != logical_name:
        raise DataError(f"Requested conversion of {what} object but the schema does not match.")


class Decimal:
    LOGICAL_NAME = "org.apache.kafka.connect.data.Decimal"
    SCALE_FIELD = "scale"
    PRECISION_FIELD = "connect.decimal.precision"

    @staticmethod
    def builder(scale: int, precision: int | None = None) -> SchemaBuilder:
        builder = SchemaBuilder.bytes().name(Decimal.LOGICAL_NAME).parameter(Decimal.SCALE_FIELD, str(int(scale)))
        if precision is not None:
            builder.parameter(Decimal.PRECISION_FIELD, str(int(precision)))
        return builder.version(1)

    @staticmethod
    def schema(scale: int, precision: int | None = None, optional: bool = False) -> Schema:
        builder = Decimal.builder(scale, precision)
        return (builder.optional() if optional else builder).build()

    @staticmethod
    def scale(schema: Schema) -> int:
        scale = schema.parameters.get(Decimal.SCALE_FIELD)
        if scale is None:
            raise DataError("Invalid Decimal schema: scale parameter not found.")
        return int(scale)

    @staticmethod
    def unscaled(schema: Schema, value: _decimal.Decimal) -> int:
        """The integer whose value is ``value * 10**scale``; DataError if digits would be lost."""
        if not isinstance(value, _decimal.Decimal):
            raise DataError(f"Invalid type for Decimal, expected Decimal but was {type(value)}")
        if not value.is_finite():
            raise DataError(f"Invalid Decimal value {value}: only finite values are supported")
        scale = Decimal.scale(schema)
        # scaleb under an unbounded context is exact (quantize would round to 28 digits).
        scaled = value.scaleb(scale, _EXACT)
        unscaled = int(scaled)
        if unscaled != scaled:
            raise DataError(f"Cannot rescale Decimal value {value} to scale {scale} without losing precision")
        return unscaled

    @staticmethod
    def from_logical(schema: Schema, value: _decimal.Decimal) -> bytes:
        n = Decimal.unscaled(schema, value)
        # Java's BigInteger.toByteArray(): the shortest two's complement with a sign bit.
        length = (n if n >= 0 else ~n).bit_length() // 8 + 1
        return n.to_bytes(length, "big", signed=True)

    @staticmethod
    def to_logical(schema: Schema, value: bytes | bytearray | memoryview) -> _decimal.Decimal:
        if len(value) == 0:
            raise DataError("Invalid bytes for Decimal field: zero length")
        # Decimal's string constructor is exact whatever the context precision.
        return _decimal.Decimal(f"{int.from_bytes(value, 'big', signed=True)}E{-Decimal.scale(schema)}")


class Date:
    LOGICAL_NAME = "org.apache.kafka.connect.data.Date"
    SCHEMA: Schema
    OPTIONAL_SCHEMA: Schema

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(Date.LOGICAL_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema | None, value: _dt.date) -> int:
        _check_logical(schema, Date.LOGICAL_NAME, "Date")
        if isinstance(value, _dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(_dt.timezone.utc)
            if value.time() != _dt.time(0):
                raise DataError("Kafka Connect Date type should not have any time fields set to non-zero values.")
        elif not isinstance(value, _dt.date):
            raise DataError(f"Invalid type for Date, expected date but was {type(value)}")
        return value.toordinal() - _EPOCH_DATE_ORDINAL

    @staticmethod
    def to_logical(schema: Schema | None, value: int) -> _dt.date:
        _check_logical(schema, Date.LOGICAL_NAME, "Date")
        return _dt.date.fromordinal(value + _EPOCH_DATE_ORDINAL)


class Time:
    LOGICAL_NAME = "org.apache.kafka.connect.data.Time"
    SCHEMA: Schema
    OPTIONAL_SCHEMA: Schema

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(Time.LOGICAL_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema | None, value: _dt.time) -> int:
        _check_logical(schema, Time.LOGICAL_NAME, "Time")
        if not isinstance(value, _dt.time):
            raise DataError(f"Invalid type for Time, expected time but was {type(value)}")
        ms = ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000
        offset = value.utcoffset()
        if offset is not None:  # Connect times are UTC
            ms = (ms - offset // _ONE_MS) % _MS_PER_DAY
        return ms

    @staticmethod
    def to_logical(schema: Schema | None, value: int) -> _dt.time:
        _check_logical(schema, Time.LOGICAL_NAME, "Time")
        if not 0 <= value < _MS_PER_DAY:
            raise DataError("Time values must use number of milliseconds greater than 0 and less than 86400000")
        seconds, ms = divmod(value, 1000)
        minutes, second = divmod(seconds, 60)
        return _dt.time(minutes // 60, minutes % 60, second, ms * 1000)


class Timestamp:
    LOGICAL_NAME = "org.apache.kafka.connect.data.Timestamp"
    SCHEMA: Schema
    OPTIONAL_SCHEMA: Schema

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int64().name(Timestamp.LOGICAL_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema | None, value: _dt.datetime) -> int:
        _check_logical(schema, Timestamp.LOGICAL_NAME, "Timestamp")
        if isinstance(value, _dt.datetime):
            return (value - (_EPOCH_NAIVE if value.tzinfo is None else _EPOCH_UTC)) // _ONE_MS
        if isinstance(value, _dt.date):  # lenient: midnight UTC
            return (value.toordinal() - _EPOCH_DATE_ORDINAL) * _MS_PER_DAY
        raise DataError(f"Invalid type for Timestamp, expected datetime but was {type(value)}")

    @staticmethod
    def to_logical(schema: Schema | None, value: int) -> _dt.datetime:
        _check_logical(schema, Timestamp.LOGICAL_NAME, "Timestamp")
        return _EPOCH_UTC + _dt.timedelta(milliseconds=value)


for _cls in (Date, Time, Timestamp):
    _cls.SCHEMA = _cls.builder().build()
    _cls.OPTIONAL_SCHEMA = _cls.builder().optional().build()

LOGICAL_TYPES: dict[str, type] = {c.LOGICAL_NAME: c for c in (Decimal, Date, Time, Timestamp)}
