"""Kafka's ``Values.parseString``: a string literal → a schema and a value (InsertHeader's
``value.literal``).

The same grammar as Kafka's ValueParser: ``null``, ``true``/``false``, integers (the narrowest of
INT8, INT16, INT32, INT64), numbers with a fraction (FLOAT32 when it fits, else FLOAT64),
integers beyond 64 bits (a Decimal of scale 0), ISO 8601 ``yyyy-MM-dd`` (Date),
``HH:mm:ss.SSS'Z'`` (Time), ``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` (Timestamp), arrays ``[1,2]`` and maps
``{"a":1}`` whose element schemas are merged as Kafka merges them (an INT8 and an INT32 make INT32),
``"quoted"`` strings inside arrays and maps, and anything else as a STRING of the whole input.
``\\`` escapes a delimiter. Temporal literals are read in UTC (Kafka's parser uses the JVM's
default zone, which is UTC on the usual Connect images).
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import math
import struct
from typing import Any

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA, INT64_SCHEMA,
    STRING_SCHEMA, Date, Decimal, Schema, SchemaAndValue, Time, Timestamp, Type,
)
from dbconnect.api.errors import DataError

from .java_date_format import JavaDateFormat

__all__ = ["parse_string"]

_DELIMITERS = set(':,{}[]"')
_DATE = JavaDateFormat("yyyy-MM-dd")
_TIME = JavaDateFormat("HH:mm:ss.SSS'Z'")
_TIMESTAMP = JavaDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_LONG_MIN, _LONG_MAX = -(2 ** 63), 2 ** 63 - 1


def parse_string(value: str | None) -> SchemaAndValue:
    """``Values.parseString(value)``."""
    if value is None:
        return SchemaAndValue(None, None)
    if value == "":
        return SchemaAndValue(STRING_SCHEMA, value)
    parsed = _ValueParser(_Parser(value)).parse(False)
    return parsed if parsed is not None else SchemaAndValue(None, None)


class _Parser:
    """Kafka's Values.Parser: tokens split at unescaped ``: , { } [ ] "``."""

    def __init__(self, original: str):
        self.original = original
        self.index = 0
        self.next_token: str | None = None
        self.previous_token: str | None = None

    def mark(self) -> int:
        return self.index - (len(self.next_token) if self.next_token is not None else 0)

    def rewind_to(self, position: int) -> None:
        self.index = position
        self.next_token = None
        self.previous_token = None

    def has_next(self) -> bool:
        return self.next_token is not None or self.index < len(self.original)

    def next(self) -> str:
        if self.next_token is not None:
            self.previous_token, self.next_token = self.next_token, None
        else:
            self.previous_token = self._consume()
        return self.previous_token

    def next_n(self, n: int) -> str | None:
        start = self.mark()
        for _ in range(n):
            if not self.has_next():
                self.rewind_to(start)
                return None
            self.next()
        return self.original[start:self.index]

    def _consume(self) -> str:
        text, start = self.original, self.index
        escaped = False
        while self.index < len(text):
            c = text[self.index]
            if c == "\\":
                escaped = not escaped
            elif c in _DELIMITERS:
                if not escaped:
                    if start < self.index:
                        return text[start:self.index]
                    self.index += 1
                    return text[start:start + 1]
                escaped = False
            else:
                escaped = False
            self.index += 1
        return text[start:self.index]

    def can_consume(self, expected: str) -> bool:
        if self.next_token is None:
            if not self.has_next():
                return False
            self.next_token = self._consume()
        while not self.next_token.strip() and self.index < len(self.original):
            self.next_token = self._consume()
        if self.next_token.strip() == expected:
            self.next_token = None
            return True
        return False


class _ValueParser:
    def __init__(self, parser: _Parser):
        self.parser = parser

    def _single_token_literal(self, embedded: bool, literal: str) -> bool:
        start = self.parser.mark()
        if self.parser.can_consume(literal) and (embedded or not self.parser.has_next()):
            return True
        self.parser.rewind_to(start)
        return False

    def parse(self, embedded: bool) -> SchemaAndValue | None:
        p = self.parser
        if not p.has_next():
            return None
        if embedded and p.can_consume('"'):
            return self._quoted_string()
        if self._single_token_literal(embedded, "null"):
            return None
        if self._single_token_literal(embedded, "true"):
            return SchemaAndValue(BOOLEAN_SCHEMA, True)
        if self._single_token_literal(embedded, "false"):
            return SchemaAndValue(BOOLEAN_SCHEMA, False)
        start = p.mark()
        try:
            if p.can_consume("["):
                return self._array()
            if p.can_consume("{"):
                return self._map()
        except DataError:
            p.rewind_to(start)
        token = p.next()
        if not token.strip():
            return SchemaAndValue(STRING_SCHEMA, token)
        return self._next_token(embedded, token.strip())

    def _next_token(self, embedded: bool, token: str) -> SchemaAndValue:
        first = token[0]
        if first.isdigit():
            temporal = self._multiple_tokens_as_temporal(token)
            if temporal is not None:
                return temporal
        if first.isdigit() or first in "+-":
            number = _as_number(token)
            if number is not None:
                return number
        if embedded:
            raise DataError("Failed to parse embedded value")
        return SchemaAndValue(STRING_SCHEMA, self.parser.original)

    def _quoted_string(self) -> SchemaAndValue:
        parts = []
        while self.parser.has_next():
            if self.parser.can_consume('"'):
                break
            parts.append(self.parser.next())
        content = "".join(parts)
        return _as_temporal(content) or SchemaAndValue(STRING_SCHEMA, content)

    def _array(self) -> SchemaAndValue:
        p = self.parser
        result: list[Any] = []
        merger = _SchemaMerger()
        while p.has_next():
            if p.can_consume("]"):
                if merger.common is not None:
                    schema = Schema(Type.ARRAY, value_schema=merger.common)
                    result = [_align(merger.common, v) for v in result]
                else:
                    schema = Schema(Type.ARRAY)
                return SchemaAndValue(schema, result)
            if p.can_consume(","):
                raise DataError(f"Unable to parse an empty array element: {p.original}")
            element = self.parse(True)
            merger.merge(element)
            result.append(element.value if element is not None else None)
            position = p.mark()
            if p.can_consume("]"):
                p.rewind_to(position)
            elif not p.can_consume(","):
                raise DataError("Array elements missing ',' delimiter")
        if p.previous_token == ",":
            raise DataError(f"Array is missing element after ',': {p.original}")
        raise DataError(f"Array is missing terminating ']': {p.original}")

    def _map(self) -> SchemaAndValue:
        p = self.parser
        result: dict[Any, Any] = {}
        keys, values = _SchemaMerger(), _SchemaMerger()
        while p.has_next():
            if p.can_consume("}"):
                if keys.common is not None and values.common is not None:
                    schema = Schema(Type.MAP, key_schema=keys.common, value_schema=values.common)
                    result = {_align(keys.common, k): _align(values.common, v) for k, v in result.items()}
                elif keys.common is not None:
                    schema = Schema(Type.MAP, key_schema=keys.common)
                    result = {_align(keys.common, k): v for k, v in result.items()}
                else:
                    schema = Schema(Type.MAP)
                return SchemaAndValue(schema, result)
            if p.can_consume(","):
                raise DataError(f"Unable to parse a map entry with no key or value: {p.original}")
            key = self.parse(True)
            if key is None or key.value is None:
                raise DataError(f"Map entry may not have a null key: {p.original}")
            if not p.can_consume(":"):
                raise DataError(f"Map entry is missing ':' at {p.index} in {p.original}")
            value = self.parse(True)
            result[_hashable(key.value)] = value.value if value is not None else None
            p.can_consume(",")
            keys.merge(key)
            values.merge(value)
        if p.previous_token == ",":
            raise DataError(f"Map is missing element after ',': {p.original}")
        raise DataError(f"Map is missing terminating '}}': {p.original}")

    def _multiple_tokens_as_temporal(self, token: str) -> SchemaAndValue | None:
        # Times and timestamps are split at their colons: try the token with the next four.
        position = self.parser.mark()
        remainder = self.parser.next_n(4)
        if remainder is not None:
            temporal = _as_temporal(token + remainder)
            if temporal is not None:
                return temporal
        self.parser.rewind_to(position)
        return _as_temporal(token)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _as_number(token: str) -> SchemaAndValue | None:
    try:
        number = _decimal.Decimal(token)
    except _decimal.InvalidOperation:
        return None
    if not number.is_finite() or "_" in token or token.strip() != token:
        return None
    if number == number.to_integral_value():
        integral = int(number)
        if _LONG_MIN <= integral <= _LONG_MAX:
            for schema, bits in ((INT8_SCHEMA, 8), (INT16_SCHEMA, 16), (INT32_SCHEMA, 32)):
                if -(1 << (bits - 1)) <= integral < (1 << (bits - 1)):
                    return SchemaAndValue(schema, integral)
            return SchemaAndValue(INT64_SCHEMA, integral)
    scale = -number.as_tuple().exponent
    as_float = float(number)
    if scale != 0:
        try:
            float32 = struct.unpack("<f", struct.pack("<f", as_float))[0]
        except OverflowError:
            float32 = None
        if float32 is not None and not math.isinf(float32):
            return SchemaAndValue(FLOAT32_SCHEMA, float32)
        if not math.isinf(as_float):
            return SchemaAndValue(FLOAT64_SCHEMA, as_float)
    return SchemaAndValue(Decimal.schema(scale), number)


def _as_temporal(token: str | None) -> SchemaAndValue | None:
    if token is None:
        return None
    token = token.replace("\\:", ":")
    for fmt, length, schema in ((_TIME, 13, Time.SCHEMA), (_TIMESTAMP, 24, Timestamp.SCHEMA),
                                (_DATE, 10, Date.SCHEMA)):
        if len(token) == length:
            try:
                millis = fmt.parse(token)
            except ValueError:
                return None
            instant = _EPOCH + _dt.timedelta(milliseconds=millis)
            if schema is Time.SCHEMA:
                return SchemaAndValue(schema, instant.timetz().replace(tzinfo=None))
            if schema is Date.SCHEMA:
                return SchemaAndValue(schema, instant.date())
            return SchemaAndValue(schema, instant)
    return None


_WIDENS = {  # Kafka's Values.mergeSchemas for differing numeric types: the wider one
    Type.INT8: 0, Type.INT16: 1, Type.INT32: 2, Type.INT64: 3, Type.FLOAT32: 4, Type.FLOAT64: 5,
}


def _merge(previous: Schema, new: Schema) -> Schema | None:
    if previous.type is not new.type:
        if previous.type in _WIDENS and new.type in _WIDENS:
            return new if _WIDENS[new.type] > _WIDENS[previous.type] else previous
        return None
    if previous.optional == new.optional:
        return previous if previous.optional else new
    return previous if previous == new else None


class _SchemaMerger:
    def __init__(self) -> None:
        self.common: Schema | None = None
        self.compatible = True

    def merge(self, latest: SchemaAndValue | None) -> None:
        if latest is not None and latest.schema is not None and self.compatible:
            if self.common is None:
                self.common = latest.schema
            else:
                self.common = _merge(self.common, latest.schema)
                self.compatible = self.common is not None


def _align(schema: Schema, value: Any) -> Any:
    """Values.convertTo for the merged schemas: integers become floats in a float array; a null
    under a required schema fails (and the whole literal is then read as a string, as in Kafka)."""
    if value is None and not schema.optional:
        raise DataError(f"Unable to convert a null value to a schema that requires a value: {schema!r}")
    if value is not None and schema.type in (Type.FLOAT32, Type.FLOAT64) and isinstance(value, int):
        return float(value)
    return value
