"""Every record the JsonSchemaConverter writes validates against the JSON Schema it registers.

Property-style: for a catalogue of Connect schemas covering every type and logical type (and
their optional, defaulted, nested, array, map and union forms), seeded random values — extremes
included — are written by the converter; each record's JSON is parsed the way confluent-kafka's
JSONDeserializer parses it (orjson) and checked with the ``jsonschema`` library against the very
document the converter registered (``validator_for`` + ``check_schema``, as JSONDeserializer
does). The converter then reads its own record back: the same value (a Decimal at the schema's
scale), and the same bytes when written again. Runs for both decimal.format values.

The registry is a dict (the converter's registry client is pure bookkeeping here); the
integration tests run the same converter against the real registry and confluent-kafka.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import random
import struct as _struct
from typing import Any

import orjson
import pytest
from jsonschema.validators import validator_for

from dbconnect.converters.jsonschema import JsonSchemaConverter  # first: the registry modules import it
from dbconnect.api.data import (
    INT_RANGES, Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Type,
)
from dbconnect.api.errors import DataError
from dbconnect.registry.client import RegisteredSchema
from dbconnect.converters.jsonschema_data import JSON_TYPE_ENUM, JSON_TYPE_ONE_OF

SEED = 20240229
ROUNDS = 40  # random values per schema (plus the extremes)


class DictRegistry:
    """What the converter asks of its registry client, kept in a dict."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.versions: dict[tuple[str, str], int] = {}

    def register(self, subject: str, text: str, schema_type: str = "JSON", normalize: bool = False) -> int:
        if text not in self.texts:
            self.texts.append(text)
        self.versions.setdefault((subject, text), len(self.versions) + 1)
        return self.texts.index(text) + 1

    def get_schema(self, schema_id: int, subject: str | None = None) -> tuple[str, str]:
        return self.texts[schema_id - 1], "JSON"

    def lookup(self, subject: str, text: str, schema_type: str = "JSON", normalize: bool = False) -> RegisteredSchema:
        return RegisteredSchema(subject, self.register(subject, text), self.versions[(subject, text)], "JSON", text)


def converter(**settings: str) -> JsonSchemaConverter:
    conv = JsonSchemaConverter(client=DictRegistry())  # type: ignore[arg-type]
    conv.configure({"schema.registry.url": "http://unused", **settings}, False)
    return conv


# -- the schemas ----------------------------------------------------------------------------------

def _opt(builder: SchemaBuilder) -> Schema:
    return builder.optional().build()


def _enum(*symbols: str | None) -> SchemaBuilder:
    builder = SchemaBuilder.string().parameter(JSON_TYPE_ENUM, "")
    for symbol in symbols:
        text = "<NULL>" if symbol is None else symbol
        builder.parameter(f"{JSON_TYPE_ENUM}.{text}", text)
    return builder


def _union(*members: Schema, optional: bool = False) -> Schema:
    builder = SchemaBuilder.struct().name(JSON_TYPE_ONE_OF)
    for i, member in enumerate(members):
        builder.field(f"{JSON_TYPE_ONE_OF}.field.{i}", member)
    return builder.optional().build() if optional else builder.build()


PRIMITIVES: dict[str, Schema] = {
    "i8": SchemaBuilder.int8().build(), "i16": SchemaBuilder.int16().build(),
    "i32": SchemaBuilder.int32().build(), "i64": SchemaBuilder.int64().build(),
    "f32": SchemaBuilder.float32().build(), "f64": SchemaBuilder.float64().build(),
    "flag": SchemaBuilder.bool().build(), "text": SchemaBuilder.string().build(),
    "raw": SchemaBuilder.bytes().build(),
    "dec0": Decimal.schema(0, 38), "dec2": Decimal.schema(2, 10), "dec10": Decimal.schema(10, 30),
    "dec_neg": Decimal.schema(-3), "day": Date.SCHEMA, "clock": Time.SCHEMA, "when": Timestamp.SCHEMA,
    "mood": _enum("sad", "happy").build(),
}
POINT = SchemaBuilder.struct().name("Point").field("x", PRIMITIVES["i32"]).field("y", PRIMITIVES["i32"]).build()
LABEL = SchemaBuilder.struct().name("Label").field("text", _opt(SchemaBuilder.string())).build()
DEFAULTS = (
    SchemaBuilder.struct().name("Defaults")
    .field("n", SchemaBuilder.int32().default_value(7).build())
    .field("amount", Decimal.builder(2).default_value(decimal.Decimal("12.50")).build())
    .field("name", SchemaBuilder.string().optional().default_value("none").build())
    .field("ratio", SchemaBuilder.float64().default_value(0.25).build())
    .field("mood", _enum("sad", "happy").default_value("sad").build())
    .build()
)
CONTAINERS: dict[str, Schema] = {
    "ints": SchemaBuilder.array(PRIMITIVES["i32"]).build(),
    "maybe_texts": SchemaBuilder.array(_opt(SchemaBuilder.string())).build(),
    "matrix": SchemaBuilder.array(SchemaBuilder.array(Decimal.schema(3, 9)).build()).build(),
    "points": SchemaBuilder.array(POINT).build(),
    "by_name": SchemaBuilder.map(SchemaBuilder.string().build(), _opt(SchemaBuilder.float64())).build(),
    "by_id": SchemaBuilder.map(PRIMITIVES["i64"], PRIMITIVES["text"]).build(),
    "by_maybe_name": SchemaBuilder.map(_opt(SchemaBuilder.string()), Decimal.schema(2)).build(),
    "by_amount": SchemaBuilder.map(Decimal.schema(2), SchemaBuilder.array(PRIMITIVES["day"]).build()).build(),
    "defaults": DEFAULTS,
    # Unions as Confluent's reader makes them from oneOf/anyOf: disjoint members, members whose
    # JSON types overlap (every integer is a number; two structs admit the same objects), null.
    "either": _union(PRIMITIVES["i32"], PRIMITIVES["text"], POINT),
    "numbers": _union(PRIMITIVES["i32"], PRIMITIVES["i64"], PRIMITIVES["f64"], Decimal.schema(2)),
    "texts": _union(PRIMITIVES["text"], PRIMITIVES["raw"], _enum("a", "b").build()),
    "shapes": _union(POINT, LABEL, optional=True),
    "nullable_enum": _opt(_enum("x", None)),
}


def _everything() -> Schema:
    builder = SchemaBuilder.struct().name("com.example.Everything").doc("every type, required and optional")
    for name, schema in {**PRIMITIVES, **CONTAINERS}.items():
        builder.field(name, schema)
        if not schema.optional:
            builder.field(f"{name}_opt", _optional_twin(schema))
    return builder.field("nested", SchemaBuilder.struct().name("Nested").field("deeper", DEFAULTS)
                         .field("point", POINT).optional().build()).build()


def _optional_twin(schema: Schema) -> Schema:
    return Schema(schema.type, True, None, schema.name, schema.version, schema.doc, schema.parameters,
                  schema.fields, schema.key_schema, schema.value_schema)


EVERYTHING = _everything()
SCHEMAS: dict[str, Schema] = {**PRIMITIVES, **CONTAINERS, "everything": EVERYTHING,
                              "array_of_everything": SchemaBuilder.array(EVERYTHING).build()}


# -- random values of any schema -------------------------------------------------------------------

TEXT_POOL = ["", "a", "héllo", "ünïcödé ✓", "😀 𝄞 astral", 'quote " and \\ backslash', "\x00\x01\x1f control",
             "line\nbreak\ttab", "\u2028\u2029", "日本語", "ｆｕｌｌ", "RTL עברית"]


class Values:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def of(self, schema: Schema, nullable: bool) -> Any:
        """A random value of ``schema``; None sometimes where the schema (or struct field) allows it."""
        if nullable and self.rnd.random() < 0.2:
            return None
        name, t, rnd = schema.name, schema.type, self.rnd
        if name == Decimal.LOGICAL_NAME:
            digits = rnd.choice([1, 2, 9, 15, 16, 19, 28, 38])
            unscaled = rnd.randrange(-10 ** digits + 1, 10 ** digits)
            return decimal.Decimal(f"{unscaled}E{-Decimal.scale(schema)}")
        if name == Date.LOGICAL_NAME:
            return dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randrange(-719162, 2932896))
        if name == Time.LOGICAL_NAME:
            return (dt.datetime(2000, 1, 1) + dt.timedelta(milliseconds=rnd.randrange(86_400_000))).time()
        if name == Timestamp.LOGICAL_NAME:
            ms = rnd.randrange(-62135596800000, 253402300799999)
            return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)
        if t in INT_RANGES:
            lo, hi = INT_RANGES[t]
            return rnd.choice([lo, hi, 0, -1, 1, rnd.randint(lo, hi)])
        if t is Type.FLOAT32:
            bits = rnd.getrandbits(32)
            value = _struct.unpack("<f", _struct.pack("<I", bits))[0]
            return value if value - value == 0.0 else rnd.choice([0.0, -0.0, 3.4028234663852886e38, 1e-45])
        if t is Type.FLOAT64:
            return rnd.choice([0.0, -0.0, 5e-324, 1.7976931348623157e308, -2.5, rnd.uniform(-1e6, 1e6),
                               rnd.random() * 10 ** rnd.randint(-300, 300)])
        if t is Type.BOOLEAN:
            return rnd.random() < 0.5
        if t is Type.STRING:
            symbols = [k[len(JSON_TYPE_ENUM) + 1:] for k in schema.parameters if k.startswith(JSON_TYPE_ENUM + ".")]
            if symbols:
                return rnd.choice([s for s in symbols if s != "<NULL>"])
            return rnd.choice(TEXT_POOL) + rnd.choice(TEXT_POOL)
        if t is Type.BYTES:
            return bytes(rnd.getrandbits(8) for _ in range(rnd.choice([0, 1, 3, 64])))
        if t is Type.ARRAY:
            return [self.of(schema.value_schema, schema.value_schema.optional) for _ in range(rnd.randrange(4))]
        if t is Type.MAP:
            return {self.of(schema.key_schema, schema.key_schema.optional):
                    self.of(schema.value_schema, schema.value_schema.optional) for _ in range(rnd.randrange(4))}
        if name == JSON_TYPE_ONE_OF:
            values: list[Any] = [None] * len(schema.fields)
            chosen = rnd.randrange(len(schema.fields))
            values[chosen] = self.of(schema.fields[chosen].schema, False)
            return Struct._of(schema, values)
        # A struct: any field may be null — optional ones are written as null, ones with a default
        # as the default, required ones without default are left out of the object.
        return Struct._of(schema, [self.of(f.schema, True) for f in schema.fields])


OVERLAPPING = [CONTAINERS[name].fields for name in ("numbers", "texts", "shapes")]


def _has_overlapping_union(schema: Schema) -> bool:
    if schema.name == JSON_TYPE_ONE_OF and schema.fields in OVERLAPPING:
        return True
    children = [f.schema for f in schema.fields] if schema.type is Type.STRUCT else []
    children += [s for s in (schema.key_schema, schema.value_schema) if s is not None]
    return any(_has_overlapping_union(c) for c in children)


def _exact(schema: Schema, value: Any) -> Any:
    """``value`` compared with its Decimal exponents (12.50 is not 12.5 here) and float signs;
    unions whose members share a JSON type read back as the first member that fits: not compared."""
    if value is None:
        return None
    if schema.name == JSON_TYPE_ONE_OF and schema.fields in OVERLAPPING:
        return "some member"
    if isinstance(value, decimal.Decimal):
        return ("decimal", value.as_tuple())
    if isinstance(value, float):
        return ("float", value.hex())  # -0.0 is not 0.0
    if isinstance(value, Struct):
        return (schema.name, [_exact(f.schema, v) for f, v in zip(schema.fields, value.values)])
    if isinstance(value, list):
        return [_exact(schema.value_schema, v) for v in value]
    if isinstance(value, dict):
        return {_hashable(_exact(schema.key_schema, k)): _exact(schema.value_schema, v) for k, v in value.items()}
    return value


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def _with_defaults(schema: Schema, value: Any) -> Any:
    """What a reader gets for ``value``: nulls of fields with defaults become the defaults."""
    if value is None:
        return schema.default
    if isinstance(value, Struct) and schema.name != JSON_TYPE_ONE_OF:
        return Struct._of(schema, [_with_defaults(f.schema, v) for f, v in zip(schema.fields, value.values)])
    if isinstance(value, list):
        return [_with_defaults(schema.value_schema, v) for v in value]
    if isinstance(value, dict):
        return {k: _with_defaults(schema.value_schema, v) for k, v in value.items()}
    return value


# -- the property ------------------------------------------------------------------------------------

@pytest.mark.parametrize("decimal_format", ["NUMERIC", "BASE64"])
@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_record_validates_against_its_registered_schema(decimal_format, name):
    schema = SCHEMAS[name]
    conv = converter(**{"decimal.format": decimal_format})
    rnd = random.Random(f"{SEED}-{name}-{decimal_format}")
    values = Values(rnd)
    validator = None
    for round_ in range(ROUNDS):
        value = values.of(schema, False)
        record = conv.from_connect_data("t", schema, value)
        if validator is None:
            document = orjson.loads(conv.client.get_schema(int.from_bytes(record[1:5], "big"))[0])
            cls = validator_for(document)
            cls.check_schema(document)
            validator = cls(document)
        body = record[5:]
        for parsed in (orjson.loads(body), json.loads(body, parse_float=decimal.Decimal)):
            errors = sorted(validator.iter_errors(parsed), key=lambda e: list(e.absolute_path))
            assert not errors, (round_, value, body, [(list(e.absolute_path), e.message) for e in errors[:3]])
        back = conv.to_connect_data("t", record)
        assert _exact(schema, back.value) == _exact(schema, _with_defaults(schema, value)), (round_, body)
        if not _has_overlapping_union(schema):
            assert conv.from_connect_data("t", back.schema, back.value)[5:] == body, (round_, value)


def test_decimals_are_exact_numbers_by_default():
    conv = converter()
    schema = SchemaBuilder.struct().field("price", Decimal.schema(2)).field("big", Decimal.schema(4, 38)).build()
    value = Struct(schema).put("price", decimal.Decimal("12.5")).put(
        "big", decimal.Decimal("-1234567890123456789012345678901234.5678"))
    record = conv.from_connect_data("t", schema, value)
    assert record[5:] == b'{"price":12.50,"big":-1234567890123456789012345678901234.5678}'
    document = orjson.loads(conv.schema_text(schema))
    assert document["properties"]["price"]["type"] == "number"
    back = conv.to_connect_data("t", record).value
    assert back.get("price").as_tuple() == decimal.Decimal("12.50").as_tuple()
    assert back.get("big").as_tuple() == decimal.Decimal("-1234567890123456789012345678901234.5678").as_tuple()


def test_base64_decimals_are_registered_as_strings():
    conv = converter(**{"decimal.format": "BASE64"})
    schema = SchemaBuilder.struct().field("price", Decimal.schema(2)).build()
    record = conv.from_connect_data("t", schema, Struct(schema).put("price", decimal.Decimal("4.82")))
    assert record[5:] == b'{"price":"AeI="}'  # Confluent's bytes
    assert orjson.loads(conv.schema_text(schema))["properties"]["price"] == {
        "type": "string", "title": Decimal.LOGICAL_NAME, "connect.version": 1, "connect.index": 0,
        "connect.type": "bytes", "connect.parameters": {"scale": "2"}}
    assert conv.to_connect_data("t", record).value.get("price").as_tuple() == decimal.Decimal("4.82").as_tuple()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_fail_by_default_and_are_strings_on_request(value):
    schema = SchemaBuilder.struct().field("x", SchemaBuilder.float64().build()).field(
        "y", SchemaBuilder.float32().optional().build()).build()
    with pytest.raises(DataError, match="JSON has no number for NaN or Infinity.*non.finite.floats=STRING"):
        converter().from_connect_data("t", schema, Struct(schema).put("x", value))
    with pytest.raises(DataError, match="JSON has no number for NaN or Infinity"):
        converter().from_connect_data("t", schema, Struct(schema).put("x", 1.0).put("y", value))
    strings = converter(**{"non.finite.floats": "string"})
    record = strings.from_connect_data("t", schema, Struct(schema).put("x", value).put("y", value))
    text = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    assert record[5:] == f'{{"x":"{text}","y":"{text}"}}'.encode()  # what Confluent's converter writes
    back = strings.to_connect_data("t", record).value
    assert repr(back.get("x")) == repr(back.get("y")) == repr(value)


def test_what_cannot_match_its_schema_is_refused():
    conv = converter()
    with pytest.raises(DataError, match="null used for a required INT32 array item"):
        conv.from_connect_data("t", CONTAINERS["ints"], [1, None])
    with pytest.raises(DataError, match="null used for a required STRING array item, map key or map value"):
        conv.from_connect_data("t", CONTAINERS["by_id"], {1: None})
    with pytest.raises(DataError, match=r"Invalid value 'angry' for an enum string.*\['happy', 'sad'\]"):
        conv.from_connect_data("t", PRIMITIVES["mood"], "angry")
    with pytest.raises(DataError, match="Invalid value 'angry' for an enum string"):
        conv.from_connect_data("t", DEFAULTS, Struct(DEFAULTS).put("mood", "angry"))
    with pytest.raises(DataError, match="none of its fields is set"):
        conv.from_connect_data("t", CONTAINERS["either"], Struct(CONTAINERS["either"]))
    with pytest.raises(DataError, match="Invalid type for bytes type"):
        conv.from_connect_data("t", PRIMITIVES["raw"], decimal.Decimal("1.5"))


def test_union_keywords():
    """oneOf where no value matches two members (Confluent's keyword), anyOf where one can."""
    documents = {name: orjson.loads(converter().schema_text(CONTAINERS[name]))
                 for name in ("either", "numbers", "texts", "shapes", "nullable_enum")}
    assert [next(iter(documents[n])) for n in documents] == ["oneOf", "anyOf", "anyOf", "anyOf", "anyOf"]
    assert list(orjson.loads(converter().schema_text(_opt(SchemaBuilder.string())))) == ["oneOf"]
    base64_texts = orjson.loads(converter(**{"decimal.format": "BASE64"}).schema_text(
        _union(PRIMITIVES["i32"], Decimal.schema(2))))
    assert list(base64_texts) == ["oneOf"]  # integer and base64 string never overlap
