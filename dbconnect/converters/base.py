"""Helpers for converter implementations; the Converter interface itself is part of dbconnect.api
(plugins subclass it without importing anything above the API layer)."""

from __future__ import annotations

from typing import Any

from ..api.converter import CONVERTER_TYPE_KEY, Converter, config_key
from ..api.errors import ConfigError

__all__ = ["Converter", "parse_bool", "parse_int", "config_key", "CONVERTER_TYPE_KEY"]


def parse_bool(value: Any, key: str) -> bool:
    """Kafka's ConfigDef BOOLEAN parsing: a bool, or "true"/"false" in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    raise ConfigError(
        f"Invalid value {value} for configuration {key}: Expected value to be either true or false",
        {key: ["Expected value to be either true or false"]},
    )


def parse_int(value: Any, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ConfigError(
        f"Invalid value {value} for configuration {key}: Not a number of type INT",
        {key: ["Not a number of type INT"]},
    )
