"""Connect values as text and back: the behaviour of Kafka's ``org.apache.kafka.connect.data.Values``
that SimpleHeaderConverter (and SMTs such as InsertHeader) rely on.

- :func:`convert_to_string` writes a value the way Kafka does: numbers and booleans as Java prints
  them, strings as they are (quoted and escaped inside arrays and maps), bytes in base64, lists as
  ``[a,b]``, maps and Structs as ``{k:v}``, dates, times and timestamps in ISO 8601
  (``2024-05-01``, ``10:15:30.123Z``, ``2024-05-01T10:15:30.123Z``).
- :func:`parse_string` infers a schema and value from such text: ``true``/``false``, the
  smallest integer type that holds a whole number (INT8…INT64, then a Decimal), FLOAT32 or
  FLOAT64 for fractions, ISO 8601 dates, times and timestamps, ``[...]`` arrays and ``{...}`` maps
  whose elements share a schema (numbers widen to a common type); anything else is a string.

Where Python differs from Java, the choice is written next to it:

- Python has one int and one float type: a FLOAT32 value is the Python float whose shortest
  text is Java's ``Float.toString`` (``1.1``, not ``1.100000023841858``), and ``convert_to_string``
  uses the schema (when given) to print a FLOAT32 as Java prints a float.
- ``parse_string("null")`` gives ``SchemaAndValue(None, None)`` (Kafka returns a null reference).
- Date, time and timestamp text is parsed strictly (two-digit months, days, hours…), where Java's
  lenient SimpleDateFormat would roll ``2024-13-01`` over into the next year; such text stays a
  string here. Times of day are UTC, as Connect's logical types are.
- A map key that Python cannot hash (an array or a map) makes the map unparseable, so the text
  stays a string.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal as _decimal
import math
import re
import struct
from collections.abc import Mapping
from typing import Any

from .data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    Date,
    Decimal,
    Schema,
    SchemaAndValue,
    Struct,
    Time,
    Timestamp,
    Type,
)
from .errors import DataError

__all__ = ["convert_to_string", "parse_string", "infer_schema", "java_double_string", "java_float_string"]

_NULL = SchemaAndValue(None, None)
_MS_PER_DAY = 86_400_000
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_DELIMITERS = frozenset(':,{}[]"')
_LONG_MIN, _LONG_MAX = -(2 ** 63), 2 ** 63 - 1
_INT_SCHEMAS = ((INT8_SCHEMA, -(2 ** 7), 2 ** 7 - 1), (INT16_SCHEMA, -(2 ** 15), 2 ** 15 - 1),
                (INT32_SCHEMA, -(2 ** 31), 2 ** 31 - 1), (INT64_SCHEMA, _LONG_MIN, _LONG_MAX))
# What Java's BigDecimal(String) accepts (Python's Decimal also takes "Infinity", "NaN", "1_0").
_BIG_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")
_EXACT = _decimal.Context(prec=_decimal.MAX_PREC, Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN)


# -- numbers as Java prints them -------------------------------------------------------------------
def _float32(value: float) -> float | None:
    """``value`` rounded to a Java float, or None when it overflows to infinity."""
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return None


def _shortest_float32_digits(value: float) -> str:
    """The shortest decimal text that reads back as the same float32 (what Float.toString uses)."""
    target = _float32(value)
    for precision in range(1, 10):
        text = f"{value:.{precision - 1}e}"
        if _float32(float(text)) == target:
            return text
    return repr(value)


def _java_format(digits_text: str, negative: bool) -> str:
    """Java's Double/Float.toString layout for a finite, non-zero number given its shortest digits."""
    sign, digits, exponent = _decimal.Decimal(digits_text).as_tuple()
    digits_str = "".join(map(str, digits)).rstrip("0") or "0"
    # The decimal exponent of the leading digit: value = 0.d1d2... × 10^(e+1).
    leading = len(digits) - 1 + int(exponent)
    prefix = "-" if negative else ""
    if -3 <= leading < 7:
        if leading >= 0:
            whole = digits_str[:leading + 1].ljust(leading + 1, "0")
            fraction = digits_str[leading + 1:] or "0"
            return f"{prefix}{whole}.{fraction}"
        return f"{prefix}0.{'0' * (-leading - 1)}{digits_str}"
    return f"{prefix}{digits_str[0]}.{digits_str[1:] or '0'}E{leading}"


def _java_special(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    return None


def java_double_string(value: float) -> str:
    """Java's ``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.0E-4``."""
    special = _java_special(value)
    if special is not None:
        return special
    return _java_format(repr(abs(value)), value < 0)


def java_float_string(value: float) -> str:
    """Java's ``Float.toString`` of ``value`` rounded to a float: ``1.1``, ``3.4028235E38``."""
    rounded = _float32(value)
    if rounded is None:
        return "Infinity" if value > 0 else "-Infinity"
    special = _java_special(rounded)
    if special is not None:
        return special
    return _java_format(_shortest_float32_digits(abs(rounded)), rounded < 0)


# -- convert_to_string -----------------------------------------------------------------------------
def convert_to_string(schema: Schema | None, value: Any) -> str | None:
    """``value`` as Kafka's ``Values.convertToString`` writes it; None for None."""
    if value is None:
        return None
    out: list[str] = []
    _append(out, value, False, schema)
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _epoch_millis(value: _dt.date | _dt.time) -> int:
    if isinstance(value, _dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)
        return (aware - _EPOCH) // _dt.timedelta(milliseconds=1)
    if isinstance(value, _dt.date):
        return Date.from_logical(None, value) * _MS_PER_DAY
    return Time.from_logical(None, value)


def _format_temporal(value: _dt.date | _dt.time) -> str:
    # Kafka picks the format from the instant, not the type (Values.dateFormatFor): within the
    # first day of the epoch a time, on a midnight a date, else a timestamp.
    millis = _epoch_millis(value)
    instant = _EPOCH + _dt.timedelta(milliseconds=millis)
    if millis < _MS_PER_DAY:
        return instant.strftime("%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"
    if millis % _MS_PER_DAY == 0:
        return f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}"
    return (f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}T" + instant.strftime("%H:%M:%S.")
            + f"{instant.microsecond // 1000:03d}Z")


def _append(out: list[str], value: Any, embedded: bool, schema: Schema | None) -> None:
    if value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        is_float32 = schema is not None and schema.type is Type.FLOAT32
        out.append(java_float_string(value) if is_float32 else java_double_string(value))
    elif isinstance(value, _decimal.Decimal):
        out.append(str(value))  # the same scientific-notation rules as Java's BigDecimal.toString
    elif isinstance(value, str):
        out.append(f'"{_escape(value)}"' if embedded else value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        out.append(f'"{encoded}"' if embedded else encoded)
    elif isinstance(value, (list, tuple)):
        element_schema = schema.value_schema if schema is not None and schema.type is Type.ARRAY else None
        out.append("[")
        for i, element in enumerate(value):
            if i:
                out.append(",")
            _append(out, element, True, element_schema)
        out.append("]")
    elif isinstance(value, Mapping):
        is_map = schema is not None and schema.type is Type.MAP
        key_schema = schema.key_schema if is_map else None
        value_schema = schema.value_schema if is_map else None
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                out.append(",")
            _append(out, k, True, key_schema)
            out.append(":")
            _append(out, v, True, value_schema)
        out.append("}")
    elif isinstance(value, Struct):
        out.append("{")
        for i, field in enumerate(value.schema.fields):
            if i:
                out.append(",")
            _append(out, field.name, True, None)
            out.append(":")
            _append(out, value.get(field), True, field.schema)
        out.append("}")
    elif isinstance(value, (_dt.date, _dt.time)):
        out.append(_format_temporal(value))
    else:
        raise DataError(f"Failed to serialize unexpected value type {type(value).__name__}: {value!r}")


# -- infer_schema ----------------------------------------------------------------------------------
def infer_schema(value: Any) -> Schema | None:
    """The schema Kafka's ``Values.inferSchema`` gives ``value``, or None (null, or no single schema).

    Python ints are INT64 and floats FLOAT64 unless told otherwise (Java would know Byte/Integer/Float).
    """
    if isinstance(value, str):
        return STRING_SCHEMA
    if value is True or value is False:
        return BOOLEAN_SCHEMA
    if isinstance(value, int):
        return INT64_SCHEMA
    if isinstance(value, float):
        return FLOAT64_SCHEMA
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BYTES_SCHEMA
    if isinstance(value, Struct):
        return value.schema
    if isinstance(value, (list, tuple)):
        element = _detect(value)
        return None if element is None else Schema(Type.ARRAY, value_schema=element)
    if isinstance(value, Mapping):
        keys, values = _detect(value.keys()), _detect(value.values())
        return None if keys is None or values is None else Schema(Type.MAP, key_schema=keys, value_schema=values)
    return None


def _detect(values: Any) -> Schema | None:
    known: Type | None = None
    optional = seen = False
    for value in values:
        seen = True
        if value is None:
            optional = True
            continue
        schema = infer_schema(value)
        if schema is None or (known is not None and schema.type is not known):
            return None
        known = schema.type
    if not seen or known is None:
        return None
    return Schema(known, optional=optional)


# -- parse_string ----------------------------------------------------------------------------------
def _java_trim(text: str) -> str:
    """Java's String.trim(): strips every character up to U+0020 from both ends."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _blank(text: str) -> bool:
    return not _java_trim(text)


class _Tokens:
    """The text split at unescaped delimiters (``: , { } [ ] "``), each delimiter a token of its own;
    a backslash escapes the next character, and both stay in the token."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.peeked: str | None = None
        self.previous: str | None = None

    def _scan(self) -> str:
        text, start, escaped = self.text, self.pos, False
        i = start
        while i < len(text):
            c = text[i]
            if c == "\\":
                escaped = not escaped
            elif c in _DELIMITERS and not escaped:
                if start < i:
                    self.pos = i
                    return text[start:i]
                self.pos = i + 1
                return c
            else:
                escaped = False
            i += 1
        self.pos = i
        return text[start:i]

    def mark(self) -> int:
        return self.pos - (len(self.peeked) if self.peeked is not None else 0)

    def rewind(self, position: int) -> None:
        self.pos, self.peeked, self.previous = position, None, None

    def has_next(self) -> bool:
        return self.peeked is not None or self.pos < len(self.text)

    def next(self) -> str:
        if self.peeked is not None:
            self.previous, self.peeked = self.peeked, None
        else:
            self.previous = self._scan()
        return self.previous

    def next_n(self, n: int) -> str | None:
        """The text of the next ``n`` tokens, or None (nothing consumed) when fewer remain."""
        start = self.mark()
        for _ in range(n):
            if not self.has_next():
                self.rewind(start)
                return None
            self.next()
        return self.text[start:self.pos]

    def can_consume(self, expected: str) -> bool:
        """Consume the next non-blank token if, trimmed, it is ``expected``."""
        if self.peeked is None:
            if not self.has_next():
                return False
            self.peeked = self._scan()
        while _blank(self.peeked) and self.pos < len(self.text):
            self.peeked = self._scan()
        if _java_trim(self.peeked) == expected:
            self.peeked = None
            return True
        return False


def parse_string(text: str | None) -> SchemaAndValue:
    """Kafka's ``Values.parseString``: the schema and value ``text`` denotes (see the module's doc)."""
    if text is None:
        return _NULL
    if text == "":
        return SchemaAndValue(STRING_SCHEMA, text)
    parsed = _Parser(_Tokens(text)).parse(False)
    return _NULL if parsed is None else parsed


class _Parser:
    def __init__(self, tokens: _Tokens) -> None:
        self.tokens = tokens

    def _single_literal(self, embedded: bool, literal: str) -> bool:
        tokens = self.tokens
        start = tokens.mark()
        # At the top level, "true}" is the string "true}", not true followed by junk.
        if tokens.can_consume(literal) and (embedded or not tokens.has_next()):
            return True
        tokens.rewind(start)
        return False

    def parse(self, embedded: bool) -> SchemaAndValue | None:
        tokens = self.tokens
        if not tokens.has_next():
            return None
        if embedded and tokens.can_consume('"'):
            return self._quoted()
        if self._single_literal(embedded, "null"):
            return None
        if self._single_literal(embedded, "true"):
            return SchemaAndValue(BOOLEAN_SCHEMA, True)
        if self._single_literal(embedded, "false"):
            return SchemaAndValue(BOOLEAN_SCHEMA, False)
        start = tokens.mark()
        try:
            if tokens.can_consume("["):
                return self._array()
            if tokens.can_consume("{"):
                return self._map()
        except DataError:
            tokens.rewind(start)  # not an array or map after all: a string, or an error if embedded
        token = tokens.next()
        if _blank(token):
            return SchemaAndValue(STRING_SCHEMA, token)
        return self._token(embedded, _java_trim(token))

    def _token(self, embedded: bool, token: str) -> SchemaAndValue:
        first = token[0]
        if first.isdigit():
            temporal = self._temporal_tokens(token)
            if temporal is not None:
                return temporal
        if first.isdigit() or first in "+-":
            number = _parse_number(token)
            if number is not None:
                return number
        if embedded:
            raise DataError("Failed to parse embedded value")
        return SchemaAndValue(STRING_SCHEMA, self.tokens.text)

    def _temporal_tokens(self, token: str) -> SchemaAndValue | None:
        # A time or timestamp spans five tokens, since an unescaped colon is a delimiter.
        tokens = self.tokens
        start = tokens.mark()
        rest = tokens.next_n(4)
        if rest is not None:
            temporal = _parse_temporal(token + rest)
            if temporal is not None:
                return temporal
        tokens.rewind(start)
        return _parse_temporal(token)

    def _quoted(self) -> SchemaAndValue:
        tokens = self.tokens
        parts: list[str] = []
        while tokens.has_next():
            if tokens.can_consume('"'):
                break
            parts.append(tokens.next())
        content = "".join(parts)
        temporal = _parse_temporal(content)  # a quoted ISO 8601 text is still a date/time
        return temporal if temporal is not None else SchemaAndValue(STRING_SCHEMA, content)

    def _array(self) -> SchemaAndValue:
        tokens = self.tokens
        values: list[Any] = []
        common = _SchemaMerger()
        while tokens.has_next():
            if tokens.can_consume("]"):
                if common.schema is None:
                    return SchemaAndValue(Schema(Type.ARRAY), values)  # every element is null
                element = common.schema
                return SchemaAndValue(Schema(Type.ARRAY, value_schema=element),
                                      [_convert_to(element, v) for v in values])
            if tokens.can_consume(","):
                raise DataError(f"Unable to parse an empty array element: {tokens.text}")
            element_value = self.parse(True)
            common.merge(element_value)
            values.append(None if element_value is None else element_value.value)
            position = tokens.mark()
            if tokens.can_consume("]"):
                tokens.rewind(position)
            elif not tokens.can_consume(","):
                raise DataError("Array elements missing ',' delimiter")
        if tokens.previous == ",":
            raise DataError(f"Array is missing element after ',': {tokens.text}")
        raise DataError(f"Array is missing terminating ']': {tokens.text}")

    def _map(self) -> SchemaAndValue:
        tokens = self.tokens
        entries: dict[Any, Any] = {}
        keys, values = _SchemaMerger(), _SchemaMerger()
        while tokens.has_next():
            if tokens.can_consume("}"):
                if keys.schema is not None and values.schema is not None:
                    schema = Schema(Type.MAP, key_schema=keys.schema, value_schema=values.schema)
                    return SchemaAndValue(schema, _rekey(entries, keys.schema, values.schema))
                if keys.schema is not None:
                    return SchemaAndValue(Schema(Type.MAP, key_schema=keys.schema),
                                          _rekey(entries, keys.schema, None))
                return SchemaAndValue(Schema(Type.MAP), entries)
            if tokens.can_consume(","):
                raise DataError(f"Unable to parse a map entry with no key or value: {tokens.text}")
            key = self.parse(True)
            if key is None or key.value is None:
                raise DataError(f"Map entry may not have a null key: {tokens.text}")
            if not tokens.can_consume(":"):
                raise DataError(f"Map entry is missing ':' at {tokens.pos} in {tokens.text}")
            value = self.parse(True)
            try:
                entries[key.value] = None if value is None else value.value
            except TypeError:  # an array or map as a key: Python cannot hash it
                raise DataError(f"Map entry has a key Python cannot hash: {tokens.text}") from None
            tokens.can_consume(",")
            keys.merge(key)
            values.merge(value)
        if tokens.previous == ",":
            raise DataError(f"Map is missing element after ',': {tokens.text}")
        raise DataError(f"Map is missing terminating '}}': {tokens.text}")


def _rekey(entries: dict[Any, Any], key_schema: Schema, value_schema: Schema | None) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for k, v in entries.items():
        out[_convert_to(key_schema, k)] = v if value_schema is None else _convert_to(value_schema, v)
    return out


def _parse_number(token: str) -> SchemaAndValue | None:
    if not _BIG_DECIMAL.fullmatch(token):
        return None
    number = _decimal.Decimal(token)
    scale = -int(number.as_tuple().exponent)
    integral = number == number.to_integral_value(context=_EXACT)
    if integral:
        whole = int(number)
        if _LONG_MIN <= whole <= _LONG_MAX:
            for schema, low, high in _INT_SCHEMAS:
                if low <= whole <= high:
                    return SchemaAndValue(schema, whole)
    as_double = float(number)
    as_float = _float32(as_double) if not math.isinf(as_double) else None
    if scale != 0 and as_float is not None and not math.isinf(as_float):
        # The Python float that prints as Java prints this float ("1.1", not 1.100000023841858).
        return SchemaAndValue(FLOAT32_SCHEMA, float(_shortest_float32_digits(as_float)))
    if scale != 0 and not math.isinf(as_double):
        return SchemaAndValue(FLOAT64_SCHEMA, as_double)
    return SchemaAndValue(Decimal.schema(scale), number)


def _parse_temporal(token: str) -> SchemaAndValue | None:
    token = token.replace("\\:", ":")  # escaped colons
    try:
        if len(token) == 13 and (m := _TIME.fullmatch(token)):
            h, mi, s, ms = (int(g) for g in m.groups())
            return SchemaAndValue(Time.SCHEMA, _dt.time(h, mi, s, ms * 1000))
        if len(token) == 24 and (m := _TIMESTAMP.fullmatch(token)):
            y, mo, d, h, mi, s, ms = (int(g) for g in m.groups())
            return SchemaAndValue(Timestamp.SCHEMA, _dt.datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=_dt.timezone.utc))
        if len(token) == 10 and (m := _DATE.fullmatch(token)):
            y, mo, d = (int(g) for g in m.groups())
            return SchemaAndValue(Date.SCHEMA, _dt.date(y, mo, d))
    except ValueError:  # 2024-02-30, 25:00:00.000Z: not a date or time
        return None
    return None


_NUMERIC_ORDER = {Type.INT8: 0, Type.INT16: 1, Type.INT32: 2, Type.INT64: 3, Type.FLOAT32: 4, Type.FLOAT64: 5}


class _SchemaMerger:
    """The schema every value seen so far fits: numbers widen (INT8 → … → FLOAT64), anything else
    must repeat; None once two values have no common schema (or while only nulls were seen)."""

    def __init__(self) -> None:
        self.schema: Schema | None = None
        self._compatible = True

    def merge(self, latest: SchemaAndValue | None) -> None:
        if latest is None or latest.schema is None or not self._compatible:
            return
        if self.schema is None:
            self.schema = latest.schema
            return
        self.schema = _merge_schemas(self.schema, latest.schema)
        self._compatible = self.schema is not None


def _merge_schemas(previous: Schema, new: Schema) -> Schema | None:
    if previous.type is not new.type:
        # Numeric types widen, whatever their logical names (as Kafka's SchemaMerger does).
        if previous.type in _NUMERIC_ORDER and new.type in _NUMERIC_ORDER:
            return previous if _NUMERIC_ORDER[previous.type] > _NUMERIC_ORDER[new.type] else new
        return None
    if previous.optional == new.optional:
        return previous if previous.optional else new
    return previous if previous == new else None


def _convert_to(schema: Schema, value: Any) -> Any:
    """An element aligned with its array's or map's common schema (Values.convertTo)."""
    if value is None:
        if schema.optional:
            return None
        # Kafka refuses [1, null]: the common schema is a required one.
        raise DataError("Unable to convert a null value to a schema that requires a value")
    name = schema.name
    if name == Date.LOGICAL_NAME and isinstance(value, int) and not isinstance(value, bool):
        return Date.to_logical(schema, value)
    if name == Time.LOGICAL_NAME and isinstance(value, int) and not isinstance(value, bool):
        return Time.to_logical(schema, value)
    if name == Timestamp.LOGICAL_NAME and isinstance(value, int) and not isinstance(value, bool):
        return Timestamp.to_logical(schema, value)
    if name is not None:
        return value
    t = schema.type
    if t in (Type.FLOAT32, Type.FLOAT64) and isinstance(value, (int, float, _decimal.Decimal)) \
            and not isinstance(value, bool):
        return float(value)
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64) and isinstance(value, (_dt.date, _dt.time)):
        return value  # a logical value under a widened plain schema keeps its Python type
    if t is Type.STRING and not isinstance(value, str):
        return convert_to_string(None, value)
    return value
