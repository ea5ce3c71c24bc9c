"""Small pieces the JSON-based converters share."""

from __future__ import annotations

import base64
import decimal
from collections import OrderedDict
from typing import Any

from ..api.data import Schema
from ..api.errors import ConfigError, DataError

DECIMAL_FORMAT_CONFIG = "decimal.format"
DECIMAL_FORMATS = ("BASE64", "NUMERIC")


def parse_decimal_format(configs: Any) -> str:
    """``decimal.format`` (BASE64 | NUMERIC, case-insensitive) with Kafka's error wording."""
    raw = configs.get(DECIMAL_FORMAT_CONFIG, "BASE64")
    fmt = str(raw).strip().upper()
    if fmt not in DECIMAL_FORMATS:
        message = "String must be one of (case insensitive): " + ", ".join(DECIMAL_FORMATS)
        raise ConfigError(f"Invalid value {raw} for configuration {DECIMAL_FORMAT_CONFIG}: {message}",
                          {DECIMAL_FORMAT_CONFIG: [message]})
    return fmt


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
