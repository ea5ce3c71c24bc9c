"""Small pieces the JSON-based converters share."""

from __future__ import annotations

import base64
import decimal
from collections import OrderedDict
from typing import Any

from ..api.data import Schema
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
