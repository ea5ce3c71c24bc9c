"""Header values on the wire, through the task's ``header.converter`` (a HeaderConverter).

``headers_reader`` turns a consumed message's headers into a SinkRecord's Headers
(``to_connect_header``), ``headers_writer`` a SourceRecord's Headers into the produced
message's (``from_connect_header``). Either is called only for records that have headers. Without
a header converter (a task built by hand in a unit test), the old pass-through applies: values
as they are, text where they decode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..api.records import Header, Headers

RawHeaders = list[tuple[str, bytes | None]]


def headers_reader(converter: Any) -> Callable[[str, RawHeaders], Headers]:
    if converter is None:
        return lambda topic, raw: Headers(Header(k, v) for k, v in decode_headers(raw))
    to_connect = converter.to_connect_header

    def read(topic: str, raw: RawHeaders) -> Headers:
        out = Headers()
        for key, value in raw:
            converted = to_connect(topic, key, value)
            if converted is None:  # the interface says never None; a third party's may still
                out.append(Header(key, None, None))
            else:
                out.append(Header(key, converted.value, converted.schema))
        return out

    return read


def headers_writer(converter: Any) -> Callable[[str, Any], RawHeaders]:
    if converter is None:
        return lambda topic, headers: encode_headers(headers)
    from_connect = converter.from_connect_header

    def write(topic: str, headers: Any) -> RawHeaders:
        return [(h.key, from_connect(topic, h.key, h.schema, h.value)) for h in headers]

    return write


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


def encode_headers(headers: Any) -> RawHeaders:
    return [(h.key, encode_header_value(h.value)) for h in headers]


def decode_headers(raw: RawHeaders | None) -> list[tuple[str, Any]]:
    """Header values as UTF-8 text where they decode, else bytes (no header converter)."""
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
