"""Small pieces the JSON-based converters share."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import decimal
from collections import OrderedDict
from typing import Any

from ..api.data import Decimal, Schema
from ..api.errors import ConfigError, DataError
from ..api.payload import DECIMAL_FORMATS, NON_FINITE_FLOATS

DECIMAL_FORMAT_CONFIG = "decimal.format"
NON_FINITE_FLOATS_CONFIG = "non.finite.floats"


def parse_decimal_format(configs: Any, default: str = "BASE64") -> str:
    """``decimal.format`` (BASE64 | NUMERIC, case-insensitive) with Kafka's error wording."""
    return _one_of(configs, DECIMAL_FORMAT_CONFIG, default, DECIMAL_FORMATS)


def parse_non_finite_floats(configs: Any, default: str = "FAIL") -> str:
    """``non.finite.floats`` (FAIL | STRING, case-insensitive) with Kafka's error wording."""
    return _one_of(configs, NON_FINITE_FLOATS_CONFIG, default, NON_FINITE_FLOATS)


def _one_of(configs: Any, key: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = configs.get(key, default)
    value = str(raw).strip().upper()
    if value not in allowed:
        message = "String must be one of (case insensitive): " + ", ".join(allowed)
        raise ConfigError(f"Invalid value {raw} for configuration {key}: {message}", {key: [message]})
    return value


def node_type(value: Any) -> str:
    """Jackson's JsonNodeType names, used in Kafka's and Confluent's error messages."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, (int, float, decimal.Decimal)):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    return "ARRAY" if isinstance(value, list) else "OBJECT" if isinstance(value, dict) else type(value).__name__


def b64(v: Any) -> str:
    return base64.b64encode(v).decode("ascii")


def invalid_type(schema: Schema, v: Any) -> DataError:
    return DataError(f"Invalid type for {schema.type.name}: {type(v)}")


class BoundedCache(OrderedDict):
    """A size-bounded map that drops the oldest entry first (schema caches)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = max(size, 1)

    def put(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


# -- generated struct decoders (converters/json.py, converters/jsonschema_structs.py) ------------
# What their inline logical types use: the same results as the to_logical helpers.
EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
ONE_MS = _dt.timedelta(milliseconds=1)
EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
# Values outside these ranges (which the datetime types cannot hold) take the full decoder.
TIMESTAMP_INLINE_RANGE = ((_dt.datetime(1, 1, 1, tzinfo=_dt.UTC) - EPOCH_UTC) // ONE_MS,
                          (_dt.datetime.max.replace(tzinfo=_dt.UTC) - EPOCH_UTC) // ONE_MS)
DATE_INLINE_RANGE = (1 - EPOCH_ORDINAL, _dt.date.max.toordinal() - EPOCH_ORDINAL)
DECIMAL_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def inline_decimal_scale(schema: Schema) -> int | None:
    """A Decimal schema's scale when its decoding can be inlined, else None (the full path decides)."""
    try:
        scale = Decimal.scale(schema)
    except (DataError, ValueError, TypeError):
        return None
    return scale if -1000 <= scale <= 1000 else None


def base64_decimal_source(v: str, fn: str, i: int, scale: int, ns: dict[str, Any]) -> str:
    """The generated statement decoding a base64 string ``v`` at ``scale`` inline, ``fn(v)`` for the rest.

    Only the ``if v.__class__ is str:`` branch: the caller adds what other values become.
    Strict base64 accepts a subset of what b64decode(validate=True) does and decodes it
    identically; unscaled * 1E-scale in an unbounded context is exactly Decimal.to_logical's
    Decimal(f"{n}E{-scale}"). Empty or invalid base64 and values past 1 KiB (whose digits str()
    may refuse to write) take the full decoder.
    """
    ns.update(a2b=binascii.a2b_base64, from_bytes=int.from_bytes, Dec=decimal.Decimal,
              mul=DECIMAL_EXACT.multiply, BinError=(ValueError, TypeError))
    ns[f"Q{i}"] = decimal.Decimal(f"1E{-scale}")
    return (
        f"    if {v}.__class__ is str:\n"
        "        try:\n"
        f"            b = a2b({v}, strict_mode=True)\n"
        "        except BinError:\n"
        "            b = b''\n"
        f"        {v} = mul(Dec(from_bytes(b, 'big', signed=True)), Q{i}) if 0 < len(b) <= 1024 else {fn}({v})\n"
    )
