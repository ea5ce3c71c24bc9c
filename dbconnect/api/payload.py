"""Pre-encoded JSON payloads: a source writes a Struct's JSON itself, the converter only frames it.

Why: turning a database row into Connect values (``Decimal``, ``datetime`` …) and then into
JSON costs several microseconds per row in Python, while the database can hand over the
*JSON-ready* values (ints for dates and timestamps, base64 text for decimals) almost for free.
A converter that writes Struct payloads as plain JSON advertises the encoding it uses
(:class:`JsonPayloadFormat`); the runtime passes it to the source task (``SourceTaskContext.
json_payload_format()``), but only when no transformation sits between them. The task may then
emit :class:`JsonRowStruct` values: a tuple of JSON-ready values plus a :class:`JsonRowShape`
that encodes it with one generated function. The converter recognises its own format by
identity and writes ``prefix + shape.encode(row)``; anything else that reads the Struct (a
different converter, an error report, ``str()``) gets ordinary Connect values, decoded lazily
from the same JSON — correct, just not fast.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from .data import Schema, Struct
from .errors import DataError
from .records import SourceRecord

__all__ = ["JsonPayloadFormat", "JsonRowShape", "JsonRowStruct", "JsonRowBatch", "FLOAT", "FRAGMENT", "BOOL",
           "NON_FINITE_FLOATS", "non_finite_writer", "register_json_value_decoder"]

# What the generated encoder does to a JSON-ready value before orjson writes it.
FLOAT = "float"  # a Python float: NaN and ±Infinity are handled as the format's non_finite_floats says
FRAGMENT = "fragment"  # text that is already a JSON number (an exact decimal)
BOOL = "bool"  # an integer 0/1 from a driver without a boolean type

# What becomes of a NaN or ±Infinity float, which JSON has no number for: FAIL refuses it (a
# DataError), STRING writes "NaN", "Infinity" or "-Infinity" (what Kafka's JsonConverter and
# Jackson-based writers such as Confluent's converters write).
# How Decimals are written by the JSON converters (decimal.format); here so that both converters and
# the registry share one definition without importing each other.
DECIMAL_FORMATS = ("BASE64", "NUMERIC")
NON_FINITE_FLOATS = ("FAIL", "STRING")
_NON_FINITE = {float("inf"): "Infinity", float("-inf"): "-Infinity"}


def _non_finite_string(v: float) -> str:
    return _NON_FINITE.get(v, "NaN")


def _non_finite_fail(v: float) -> str:
    raise DataError(f"Invalid float value {_non_finite_string(v)}: JSON has no number for NaN or Infinity, and the "
                    "string that stands for it does not match the JSON Schema \"type\": \"number\". Set the "
                    "converter's non.finite.floats=STRING to write it as a string anyway")


def non_finite_writer(mode: str) -> Callable[[float], str]:
    """What a NaN or ±Infinity float is written as under ``mode`` (one of NON_FINITE_FLOATS)."""
    if mode == "STRING":
        return _non_finite_string
    if mode == "FAIL":
        return _non_finite_fail
    raise ValueError(f"non_finite_floats must be one of {NON_FINITE_FLOATS}")


# How JsonRowShape.materialize reads its JSON back into Connect values: the JSON Schema converter's
# value codec (dbconnect.converters.jsonschema_values), which registers itself here when imported,
# because this layer does not import the plugins above it. [(decoder_for(decimal_format, schema),
# the exception that asks for an exact re-parse)].
_VALUE_DECODER: list[tuple[Callable[[str, Schema], Callable[[Any], Any]], type[Exception]]] = []


def register_json_value_decoder(decoder_for: Callable[[str, Schema], Callable[[Any], Any]],
                                need_exact: type[Exception]) -> None:
    """Set the decoder JsonRowShape.materialize uses (the last registration wins)."""
    _VALUE_DECODER[:] = [(decoder_for, need_exact)]


@dataclass(frozen=True, eq=False)
class JsonPayloadFormat:
    """How a converter writes a Struct payload as JSON (Connect's JSON encodings).

    Date → days since the epoch, Time → milliseconds since midnight, Timestamp → epoch
    milliseconds (all JSON integers); bytes → base64; Decimal → base64 of the two's-complement
    unscaled value (``decimal_format="BASE64"``) or a JSON number with exactly the schema's
    scale of fractional digits (``"NUMERIC"``) — in plain notation (``plain_decimals``, the
    JsonSchemaConverter), or as ``str(Decimal)`` writes it (the JsonConverter, as Java's
    ``BigDecimal.toString()``: ``1E-7`` below 10⁻⁶, so plain only up to a scale of 6); non-finite floats → ``"NaN"``, ``"Infinity"``,
    ``"-Infinity"`` (``non_finite_floats="STRING"``) or a DataError (``"FAIL"``); fields in
    schema order. Compared by identity: a converter accepts only payloads made for its own
    format object.
    """

    decimal_format: str = "BASE64"
    non_finite_floats: str = "STRING"
    plain_decimals: bool = True


class JsonRowShape:
    """Field names + per-field handling of a result row: ``encode(row) -> bytes`` (one call).

    ``row`` holds the JSON-ready values of the fields in order, at ``indexes`` (default: the
    first len(schema.fields) positions); extra trailing values (offset columns) are ignored.
    """

    __slots__ = ("schema", "format", "encode", "_decode", "_fields")

    def __init__(self, schema: Schema, payload_format: JsonPayloadFormat, kinds: Sequence[str | None],
                 indexes: Sequence[int] | None = None) -> None:
        names = [f.name for f in schema.fields]
        if len(kinds) != len(names):
            raise ValueError("one kind per field")
        indexes = list(range(len(names))) if indexes is None else list(indexes)
        self.schema = schema
        self.format = payload_format
        self._fields = (names, list(kinds), indexes)
        text, ns = self.dict_display("K")
        self.encode: Callable[[Sequence[Any]], bytes] = _compile(
            "def encode(r):\n    return dumps(" + text + ")\n", ns, "encode")
        self._decode: tuple[Callable[[Sequence[Any]], bytes], Callable[[Any], Any]] | None = None

    def dict_display(self, prefix: str) -> tuple[str, dict[str, Any]]:
        """The row → JSON-ready dict expression over row variable ``r``, and the names it uses
        (the field names are bound as ``<prefix>0``, ``<prefix>1`` …)."""
        return _dict_display(*self._fields, prefix, non_finite_writer(self.format.non_finite_floats))

    def materialize(self, row: Sequence[Any]) -> list[Any]:
        """The Connect values of ``row`` (decoded from its JSON: the slow, general path)."""
        if not _VALUE_DECODER:
            raise DataError("No JSON value decoder is registered to read a pre-encoded JSON row back: "
                            "import dbconnect.converters (its JSON Schema codec registers one)")
        decoder_for, NeedExact = _VALUE_DECODER[0]
        if self._decode is None:
            # NaN and ±Infinity are valid Connect values even where the format refuses to write
            # them: the values are decoded from a JSON that spells them as strings.
            encode = self.encode
            if self.format.non_finite_floats != "STRING":
                text, ns = _dict_display(*self._fields, "K", non_finite_writer("STRING"))
                encode = _compile("def encode(r):\n    return dumps(" + text + ")\n", ns, "encode")
            self._decode = (encode, decoder_for(self.format.decimal_format, self.schema))
        encode, decode = self._decode
        payload = encode(row)
        try:
            return decode(orjson.loads(payload)).values
        except NeedExact:  # decimals written as JSON numbers: parse them exactly
            return decode(json.loads(payload, parse_float=decimal.Decimal)).values


def _dict_display(names: Sequence[str], kinds: Sequence[str | None], indexes: Sequence[int], prefix: str,
                  non_finite: Callable[[float], str]) -> tuple[str, dict[str, Any]]:
    ns: dict[str, Any] = {"NF": non_finite, "Fragment": orjson.Fragment}
    items = []
    for i, (name, kind, at) in enumerate(zip(names, kinds, indexes)):
        ns[f"{prefix}{i}"] = name
        if kind is None:
            expr = f"r[{at}]"
        elif kind == FLOAT:
            expr = f"(v if (v := r[{at}]) is None or v - v == 0.0 else NF(v))"
        elif kind == FRAGMENT:
            expr = f"(None if (v := r[{at}]) is None else Fragment(v))"
        elif kind == BOOL:
            expr = f"(None if (v := r[{at}]) is None else bool(v))"
        else:
            raise ValueError(f"unknown JSON value kind {kind!r}")
        items.append(f"{prefix}{i}: {expr}")
    return "{" + ", ".join(items) + "}", ns


def _compile(source: str, ns: dict[str, Any], name: str) -> Any:
    namespace = {"dumps": orjson.dumps, "bool": bool, **ns}
    exec(compile(source, f"<json-row-{name}>", "exec"), namespace)  # noqa: S102 - names bound, never inlined
    return namespace[name]


def compile_framer(value_shape: JsonRowShape, value_framing: tuple[bytes, bytes], key_shape: JsonRowShape | None,
                   key_framing: tuple[bytes, bytes] | None) -> Callable[[Sequence[Sequence[Any]]], list[dict]]:
    """rows → ``[{"value": bytes, "key": bytes | None}]``, every row framed as the converters would,
    in one generated list comprehension (what ``Producer.produce_batch`` takes)."""
    value_text, ns = value_shape.dict_display("V")
    ns.update(VP=value_framing[0], VS=value_framing[1])
    value = "VP + dumps(" + value_text + ")" + (" + VS" if value_framing[1] else "")
    key = "None"
    if key_shape is not None and key_framing is not None:
        key_text, key_ns = key_shape.dict_display("Q")
        ns.update(key_ns, KP=key_framing[0], KS=key_framing[1])
        key = "KP + dumps(" + key_text + ")" + (" + KS" if key_framing[1] else "")
    source = ("def frame(rows):\n    return [{'value': " + value + ", 'key': " + key + "} for r in rows]\n")
    return _compile(source, ns, "frame")


class JsonRowStruct(Struct):
    """A Struct carried as its JSON-ready row; ``values`` are decoded on first use.

    Build it with ``of()`` (hot loops may set the four slots themselves: schema, row, shape and
    ``decoded = None``).
    """

    __slots__ = ("row", "shape", "decoded")

    @classmethod
    def of(cls, shape: JsonRowShape, row: Sequence[Any]) -> "JsonRowStruct":
        struct = object.__new__(cls)
        struct.schema = shape.schema
        struct.row = row
        struct.shape = shape
        struct.decoded = None
        return struct

    @property  # type: ignore[override]
    def values(self) -> list[Any]:
        decoded = self.decoded
        if decoded is None:
            decoded = self.decoded = self.shape.materialize(self.row)
        return decoded

    @values.setter
    def values(self, values: list[Any]) -> None:
        self.decoded = values

    def payload(self, payload_format: JsonPayloadFormat) -> bytes | None:
        """The JSON bytes when ``payload_format`` is the one the row was made for, else None
        (also once the values were decoded: they may have been changed, and win over the row)."""
        if self.decoded is None and self.shape.format is payload_format:
            return self.shape.encode(self.row)
        return None


class JsonRowBatch(Sequence):
    """One poll's records that share topic, source partition, schemas and shapes, as JSON-ready rows.

    To any reader it is a sequence of SourceRecords (with JsonRowStruct keys and values, built on
    access). The runtime, when no transformation runs and both converters frame payloads of these
    formats (``Converter.json_payload_framing``), produces the rows without building records:
    per row one generated encoder call for the value, one for the key, and the produce call.
    ``offsets`` is a list (one offset map per row) or a function of the row.
    """

    __slots__ = ("topic", "source_partition", "value_schema", "key_schema", "value_shape", "key_shape", "rows",
                 "_offsets")

    def __init__(self, topic: str, source_partition: Any, value_shape: JsonRowShape, key_shape: JsonRowShape | None,
                 rows: list[Sequence[Any]], offsets: list[Any] | Callable[[Sequence[Any]], Any]) -> None:
        self.topic = topic
        self.source_partition = source_partition
        self.value_shape, self.value_schema = value_shape, value_shape.schema
        self.key_shape = key_shape
        self.key_schema = key_shape.schema if key_shape is not None else None
        self.rows = rows
        self._offsets = offsets

    def offset(self, i: int) -> Any:
        offsets = self._offsets
        return offsets(self.rows[i]) if callable(offsets) else offsets[i]

    def record(self, i: int) -> SourceRecord:
        row = self.rows[i]
        key = JsonRowStruct.of(self.key_shape, row) if self.key_shape is not None else None
        return SourceRecord(self.source_partition, self.offset(i), self.topic, JsonRowStruct.of(self.value_shape, row),
                            self.value_schema, key, self.key_schema)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.record(j) for j in range(*i.indices(len(self.rows)))]
        if i < 0:
            i += len(self.rows)
        if not 0 <= i < len(self.rows):
            raise IndexError("batch index out of range")
        return self.record(i)

    def __iter__(self) -> Iterator[SourceRecord]:
        return (self.record(i) for i in range(len(self.rows)))

    def __repr__(self) -> str:
        return f"JsonRowBatch(topic={self.topic!r}, rows={len(self.rows)})"
