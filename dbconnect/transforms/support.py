"""Helpers the built-in field transforms share beyond ``base``: the per-schema LRU cache, Kafka's
``replace.null.with.default`` read of a struct field, ``Requirements.requireSchema`` and Java's
``String.split(":")``.
"""

from __future__ import annotations

import decimal
import math
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from dbconnect.api.data import Field, Schema, Struct, validate_value
from dbconnect.api.errors import DataError

__all__ = ["SchemaCache", "field_value", "struct_values", "struct_from", "require_schema", "java_split",
           "wrap_int", "float_to_long", "to_float32", "parse_big_decimal"]


class SchemaCache:
    """Kafka's ``SynchronizedCache(new LRUCache<>(16))``: input schema → the schema a transform made
    for it. Schemas hash by value once (computed at construction), so a hit costs one dict lookup;
    the lock keeps it safe when a task shares a transform between threads."""

    __slots__ = ("_entries", "_capacity", "_lock")

    def __init__(self, capacity: int = 16):
        self._entries: OrderedDict[Schema, Schema] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, schema: Schema) -> Schema | None:
        with self._lock:
            found = self._entries.get(schema)
            if found is not None:
                self._entries.move_to_end(schema)
            return found

    def put(self, schema: Schema, updated: Schema) -> None:
        with self._lock:
            self._entries[schema] = updated
            self._entries.move_to_end(schema)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def get_or_build(self, schema: Schema, build: Callable[[Schema], Schema]) -> Schema:
        updated = self.get(schema)
        if updated is None:
            updated = build(schema)
            self.put(schema, updated)
        return updated

    def __len__(self) -> int:
        return len(self._entries)


def field_value(struct: Struct, field: Field | str, replace_null_with_default: bool) -> Any:
    """A field's value: its schema's default in place of null when ``replace.null.with.default``
    is true (KIP-1040), else the stored value, null included."""
    return struct.get(field) if replace_null_with_default else struct.get_without_default(field)


def struct_values(struct: Struct, replace_null_with_default: bool) -> list[Any]:
    """Every field's value in field order, as ``field_value`` reads each (one pass, no lookups)."""
    if not replace_null_with_default:
        return list(struct.values)
    return [f.schema.default if v is None else v for f, v in zip(struct.schema.fields, struct.values)]


def struct_from(schema: Schema, values: list[Any], checked: range | None = None) -> Struct:
    """``Struct(schema)`` with ``values`` put field by field, as Kafka's transforms build it, without
    a per-field lookup. The values come from Structs of the same field schemas, or are built by the
    transform in the field's type, so the one check Kafka's ``put`` can fail is the one made here:
    null in a required field. ``checked``: the only positions that were put (None: all)."""
    fields = schema.fields
    for i in checked if checked is not None else range(len(fields)):
        if values[i] is None and not fields[i].schema.optional:
            validate_value(fields[i].schema, None, fields[i].name)
    return Struct._of(schema, values)


def require_schema(schema: Schema | None, purpose: str) -> Schema:
    """Kafka's ``Requirements.requireSchema``."""
    if schema is None:
        raise DataError(f"Schema required for [{purpose}]")
    return schema


def java_split(text: str, separator: str = ":") -> list[str]:
    """Java's ``String.split(separator)``: trailing empty strings are dropped (``"a:"`` → ``["a"]``,
    ``":"`` → ``[]``), which decides what Kafka accepts in ``renames`` and Cast's ``spec``."""
    if text == "":
        return [""]
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


# ------------------------------------------------------------------------------ Java numbers
# What Java's primitive conversions do, for Cast and MaskField's replacement: the narrowing casts
# wrap, a double → long cast saturates, float32 rounds to single precision.

_BITS = {"INT8": 8, "INT16": 16, "INT32": 32, "INT64": 64}
_BIG_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def wrap_int(number: int, bits: int) -> int:
    """Java's narrowing primitive conversion: the low ``bits`` bits, two's complement."""
    mask = (1 << bits) - 1
    number &= mask
    return number - (1 << bits) if number >> (bits - 1) else number


def float_to_long(value: float, bits: int = 64) -> int:
    """Java's ``(long) d`` (or ``(int) d`` for ``bits`` ≤ 32, then narrowed): NaN → 0, saturating."""
    if math.isnan(value):
        return 0
    limit_bits = 64 if bits == 64 else 32
    low, high = -(1 << (limit_bits - 1)), (1 << (limit_bits - 1)) - 1
    if math.isinf(value):
        number = high if value > 0 else low
    else:
        number = max(low, min(high, int(value)))
    return wrap_int(number, bits)


def to_float32(value: float) -> float:
    """Java's ``(float) d``: the nearest single-precision value (±Infinity beyond its range)."""
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def parse_big_decimal(text: str) -> decimal.Decimal | None:
    """``new BigDecimal(text)``, or None where Java would throw NumberFormatException."""
    if not isinstance(text, str) or not _BIG_DECIMAL.fullmatch(text):
        return None
    return decimal.Decimal(text)
