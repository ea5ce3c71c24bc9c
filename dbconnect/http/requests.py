"""Request values as Kafka's Jackson/Jersey stack reads them."""

from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    """How an error message names a parsed JSON value's type: ``a string``, ``an array``, …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def scalar_to_string(value: Any) -> str | None:
    """Jackson's coercion of a JSON scalar into a Java String; None for non-scalars."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return repr(value)
    return None


def parse_bool(value: str | None, default: bool) -> bool:
    """JAX-RS ``Boolean.valueOf``: only a case-insensitive ``true`` is true."""
    if value is None:
        return default
    return value.strip().lower() == "true"
