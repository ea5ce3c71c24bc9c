"""Header values on the wire (the role of SimpleHeaderConverter)."""

from __future__ import annotations

from typing import Any

import orjson


def encode_header_value(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return orjson.dumps(value, default=str)


def encode_headers(headers: Any) -> list[tuple[str, bytes | None]]:
    return [(h.key, encode_header_value(h.value)) for h in headers]


def decode_headers(raw: list[tuple[str, bytes | None]] | None) -> list[tuple[str, Any]]:
    """Consumed headers are handed to sink tasks as UTF-8 text where they decode, else bytes."""
    if not raw:
        return []
    out = []
    for key, value in raw:
        if value is not None:
            try:
                value = value.decode()
            except UnicodeDecodeError:
                pass
        out.append((key, value))
    return out
