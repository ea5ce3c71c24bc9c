"""Connect ↔ JSON Schema mapping (Confluent's JsonSchemaData) and the value codec, no registry."""

from __future__ import annotations

import datetime as dt
import decimal

import orjson
import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, OPTIONAL_INT32_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, Decimal, Schema, SchemaBuilder,
    Struct, Time, Timestamp, Type,
)
from dbconnect.api.errors import DataError
from dbconnect.converters.jsonschema_data import JSON_TYPE_ENUM, JSON_TYPE_ONE_OF, JsonSchemaData
from dbconnect.converters.jsonschema_values import MISSING, NeedExact, ValueCodec

DATA = JsonSchemaData()


def roundtrip_schema(schema: Schema, data: JsonSchemaData = DATA) -> Schema:
    document = orjson.loads(orjson.dumps(data.from_connect_schema(schema)))
    return data.to_connect_schema(document)


def encode(schema: Schema, value, fmt: str = "BASE64"):
    return orjson.loads(orjson.dumps(ValueCodec(fmt).encoder(schema)(value)))


def decode(schema: Schema, json_value):
    return ValueCodec().decoder(schema)(json_value)


ORDER = (
    SchemaBuilder.struct().name("com.example.Order").doc("An order")
    .field("id", INT32_SCHEMA)
    .field("name", OPTIONAL_STRING_SCHEMA)
    .field("price", Decimal.schema(2))
    .field("created", Timestamp.SCHEMA)
    .build()
)


# -- Connect -> JSON Schema: exact documents ---------------------------------------------------------

def test_representative_struct_exact_json():
    text = orjson.dumps(DATA.from_connect_schema(ORDER)).decode()
    assert text == (
        '{"type":"object","title":"com.example.Order","description":"An order","properties":{'
        '"id":{"type":"integer","connect.index":0,"connect.type":"int32"},'
        '"name":{"oneOf":[{"type":"null"},{"type":"string"}],"connect.index":1},'
        '"price":{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.version":1,'
        '"connect.index":2,"connect.type":"bytes","connect.parameters":{"scale":"2"}},'
        '"created":{"type":"integer","title":"org.apache.kafka.connect.data.Timestamp","connect.version":1,'
        '"connect.index":3,"connect.type":"int64"}}}'
    )


@pytest.mark.parametrize("schema, expected", [
    (INT8_SCHEMA, {"type": "integer", "connect.type": "int8"}),
    (INT16_SCHEMA, {"type": "integer", "connect.type": "int16"}),
    (INT32_SCHEMA, {"type": "integer", "connect.type": "int32"}),
    (INT64_SCHEMA, {"type": "integer", "connect.type": "int64"}),
    (FLOAT32_SCHEMA, {"type": "number", "connect.type": "float32"}),
    (FLOAT64_SCHEMA, {"type": "number", "connect.type": "float64"}),
    (BOOLEAN_SCHEMA, {"type": "boolean"}),
    (STRING_SCHEMA, {"type": "string"}),
    (BYTES_SCHEMA, {"type": "string", "connect.type": "bytes"}),
    (Decimal.schema(2), {"type": "number", "title": "org.apache.kafka.connect.data.Decimal", "connect.version": 1,
                         "connect.type": "bytes", "connect.parameters": {"scale": "2"}}),
    (Date.SCHEMA, {"type": "integer", "title": "org.apache.kafka.connect.data.Date", "connect.version": 1,
                   "connect.type": "int32"}),
    (Time.SCHEMA, {"type": "integer", "title": "org.apache.kafka.connect.data.Time", "connect.version": 1,
                   "connect.type": "int32"}),
    (Timestamp.SCHEMA, {"type": "integer", "title": "org.apache.kafka.connect.data.Timestamp", "connect.version": 1,
                        "connect.type": "int64"}),
    (OPTIONAL_INT32_SCHEMA, {"oneOf": [{"type": "null"}, {"type": "integer", "connect.type": "int32"}]}),
    (SchemaBuilder.array(STRING_SCHEMA).build(), {"type": "array", "items": {"type": "string"}}),
    (SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build(),
     {"type": "object", "connect.type": "map", "additionalProperties": {"type": "integer", "connect.type": "int64"}}),
    (SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build(),
     {"type": "array", "connect.type": "map", "items": {"type": "object", "properties": {
         "key": {"type": "integer", "connect.index": 0, "connect.type": "int32"},
         "value": {"type": "string", "connect.index": 1}}}}),
    (SchemaBuilder.map(OPTIONAL_STRING_SCHEMA, STRING_SCHEMA).build(),  # optional string keys: array form
     {"type": "array", "connect.type": "map", "items": {"type": "object", "properties": {
         "key": {"oneOf": [{"type": "null"}, {"type": "string"}], "connect.index": 0},
         "value": {"type": "string", "connect.index": 1}}}}),
    (SchemaBuilder.string().parameter("custom", "x").doc("d").version(3).build(),
     {"type": "string", "description": "d", "connect.version": 3, "connect.parameters": {"custom": "x"}}),
])
def test_each_type_maps_to_confluents_json_schema(schema, expected):
    assert DATA.from_connect_schema(schema) == expected


def test_optional_struct_field_and_nested_struct():
    inner = SchemaBuilder.struct().name("Inner").field("x", FLOAT64_SCHEMA).optional().build()
    outer = SchemaBuilder.struct().field("a", STRING_SCHEMA).field("inner", inner).build()
    assert DATA.from_connect_schema(outer)["properties"]["inner"] == {
        "oneOf": [{"type": "null"}, {"type": "object", "title": "Inner", "properties": {
            "x": {"type": "number", "connect.index": 0, "connect.type": "float64"}}}],
        "connect.index": 1,
    }


def test_closed_objects_and_defaults():
    data = JsonSchemaData(additional_properties=False)
    schema = (SchemaBuilder.struct().field("n", SchemaBuilder.int32().default_value(5).build())
              .field("b", SchemaBuilder.bytes().optional().default_value(b"\x01").build()).build())
    doc = data.from_connect_schema(schema)
    assert doc["additionalProperties"] is False
    assert list(doc) == ["type", "properties", "additionalProperties"]
    assert doc["properties"]["n"] == {"type": "integer", "default": 5, "connect.index": 0, "connect.type": "int32"}
    assert doc["properties"]["b"]["oneOf"][1]["default"] == "AQ=="


def test_union_struct_and_enum_write_confluent_shapes():
    union = (SchemaBuilder.struct().name(JSON_TYPE_ONE_OF).optional()
             .field(f"{JSON_TYPE_ONE_OF}.field.0", OPTIONAL_STRING_SCHEMA)
             .field(f"{JSON_TYPE_ONE_OF}.field.1", SchemaBuilder.int64().optional().build()).build())
    assert DATA.from_connect_schema(union) == {"oneOf": [
        {"type": "null"}, {"type": "string", "connect.index": 0},
        {"type": "integer", "connect.index": 1, "connect.type": "int64"}]}
    enum = (SchemaBuilder.string().parameter(JSON_TYPE_ENUM, "").parameter(f"{JSON_TYPE_ENUM}.red", "red")
            .parameter(f"{JSON_TYPE_ENUM}.blue", "blue").build())
    assert DATA.from_connect_schema(enum) == {"enum": ["red", "blue"]}
    assert roundtrip_schema(enum) == enum


# -- round trips --------------------------------------------------------------------------------------

EVERY_TYPE = (
    SchemaBuilder.struct().name("com.example.Everything").version(2)
    .field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA).field("i64", INT64_SCHEMA)
    .field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA).field("flag", BOOLEAN_SCHEMA)
    .field("text", STRING_SCHEMA).field("raw", BYTES_SCHEMA)
    .field("amount", Decimal.schema(3)).field("day", Date.SCHEMA).field("at", Time.SCHEMA)
    .field("when", Timestamp.OPTIONAL_SCHEMA).field("maybe", OPTIONAL_STRING_SCHEMA)
    .field("list", SchemaBuilder.array(OPTIONAL_INT32_SCHEMA).build())
    .field("smap", SchemaBuilder.map(STRING_SCHEMA, FLOAT64_SCHEMA).optional().build())
    .field("imap", SchemaBuilder.map(INT64_SCHEMA, STRING_SCHEMA).build())
    .field("nested", SchemaBuilder.struct().name("N").field("deep", SchemaBuilder.struct().field(
        "leaf", STRING_SCHEMA).build()).build())
    .build()
)


@pytest.mark.parametrize("schema", [ORDER, EVERY_TYPE, Decimal.schema(0, optional=True), Date.OPTIONAL_SCHEMA])
def test_connect_schemas_survive_the_round_trip(schema):
    assert roundtrip_schema(schema) == schema


def test_every_type_value_round_trip():
    nested_schema = EVERY_TYPE.field("nested").schema
    deep = Struct(nested_schema.field("deep").schema).put("leaf", "x")
    value = (Struct(EVERY_TYPE).put("i8", -8).put("i16", 300).put("i32", -70000).put("i64", 2**40)
             .put("f32", 1.5).put("f64", -2.25).put("flag", True).put("text", "héllo").put("raw", b"\x00\xff")
             .put("amount", decimal.Decimal("-1.250")).put("day", dt.date(2024, 2, 29))
             .put("at", dt.time(13, 5, 7, 250000)).put("when", dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc))
             .put("list", [1, None, 3]).put("smap", {"a": 0.5}).put("imap", {7: "seven"})
             .put("nested", Struct(nested_schema).put("deep", deep)))
    json_value = encode(EVERY_TYPE, value)
    assert json_value == {
        "i8": -8, "i16": 300, "i32": -70000, "i64": 2**40, "f32": 1.5, "f64": -2.25, "flag": True,
        "text": "héllo", "raw": "AP8=", "amount": "+x4=", "day": 19782, "at": 47107250, "when": 1714564800000,
        "maybe": None, "list": [1, None, 3], "smap": {"a": 0.5}, "imap": [{"key": 7, "value": "seven"}],
        "nested": {"deep": {"leaf": "x"}},
    }
    assert decode(roundtrip_schema(EVERY_TYPE), json_value) == value


def test_logical_values_encode_like_kafka():
    assert encode(Decimal.schema(2), decimal.Decimal("4.82")) == "AeI="
    assert encode(Decimal.schema(2), decimal.Decimal("4.8")) == "AeA="  # rescaled exactly
    assert encode(Decimal.schema(2), decimal.Decimal("-0.01")) == "/w=="
    assert encode(Decimal.schema(2), decimal.Decimal("4.82"), "NUMERIC") == 4.82
    assert orjson.dumps(ValueCodec("NUMERIC").encoder(Decimal.schema(2))(decimal.Decimal("12345678901234567890.12"))) \
        == b"12345678901234567890.12"
    assert encode(Date.SCHEMA, dt.date(1970, 1, 2)) == 1
    assert encode(Time.SCHEMA, dt.time(0, 0, 1)) == 1000
    assert encode(Timestamp.SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 1)) == 1000  # naive = UTC
    with pytest.raises(DataError, match="without losing precision"):
        encode(Decimal.schema(2), decimal.Decimal("1.234"))


DECIMAL_TEXTS = ["0.00", "-0.00", "1.00", "-1.00", "127.99", "-128.00", "1.27", "-1.28", "327.67", "-327.68",
                 "99999999999.99", "-99999999999.99", "1E+3", "1.2E+5", "0.1", "12", "1.20E+4", "0E-5", "1E-2"]


def test_decimal_fast_path_agrees_with_the_exact_one():
    encoder = ValueCodec("BASE64").encoder(Decimal.schema(2))
    for text in DECIMAL_TEXTS:
        value = decimal.Decimal(text)
        exact = __import__("base64").b64encode(Decimal.from_logical(Decimal.schema(2), value)).decode()
        assert encoder(value) == exact, text
        assert decode(Decimal.schema(2), exact) == value


@pytest.mark.parametrize("scale", [0, 2, 7, -2])
def test_numeric_decimals_are_written_at_the_schema_scale(scale):
    """Every Decimal is written as the JSON number of its value at the schema's scale (plain
    notation, as PostgreSQL prints numeric(p, s)), whichever path the encoder takes."""
    schema = Decimal.schema(scale)
    encoder = ValueCodec("NUMERIC").encoder(schema)
    for text in DECIMAL_TEXTS + ["123456789012345678901234567890", "-5E-7", "1.5"]:
        value = decimal.Decimal(text)
        try:
            unscaled = Decimal.unscaled(schema, value)
        except DataError:
            with pytest.raises(DataError, match="without losing precision"):
                encoder(value)
            continue
        written = orjson.dumps(encoder(value)).decode()
        back = decimal.Decimal(written)
        assert back == value and back.as_tuple().exponent == -scale and Decimal.unscaled(schema, back) == unscaled, text
        assert "E" not in written if scale >= 0 else written.endswith(f"E+{-scale}"), written


def test_optional_logical_fields_in_structs():
    schema = (SchemaBuilder.struct().field("ts", Timestamp.OPTIONAL_SCHEMA).field("d", Date.OPTIONAL_SCHEMA)
              .field("amount", Decimal.schema(2, optional=True)).field("s", OPTIONAL_STRING_SCHEMA).build())
    assert encode(schema, Struct(schema)) == {"ts": None, "d": None, "amount": None, "s": None}
    full = (Struct(schema).put("ts", dt.datetime(1970, 1, 1, 0, 0, 0, 1500, tzinfo=dt.timezone(dt.timedelta(hours=1))))
            .put("d", dt.date(1969, 12, 31)).put("amount", decimal.Decimal("0.05")).put("s", "x"))
    assert encode(schema, full) == {"ts": -3599999, "d": -1, "amount": "BQ==", "s": "x"}


def test_null_handling_matches_json_schema_data():
    schema = (SchemaBuilder.struct().field("req", STRING_SCHEMA).field("opt", OPTIONAL_STRING_SCHEMA)
              .field("dflt", SchemaBuilder.int32().default_value(7).build()).build())
    # A required field without default is left out (JsonSchemaData omits null nodes).
    assert encode(schema, Struct(schema)) == {"opt": None, "dflt": 7}
    assert encode(SchemaBuilder.array(OPTIONAL_STRING_SCHEMA).build(), ["a", None]) == ["a", None]
    decoded = decode(schema, {})
    assert decoded.values == [None, None, 7]
    with pytest.raises(DataError, match="Invalid null value for required STRING field"):
        decode(schema, {"req": None})
    assert decode(OPTIONAL_STRING_SCHEMA, None) is None


def test_non_finite_floats_and_type_errors():
    strings = ValueCodec(non_finite_floats="STRING")
    assert strings.encoder(FLOAT64_SCHEMA)(float("inf")) == "Infinity"
    assert decode(FLOAT64_SCHEMA, "-Infinity") == float("-inf")
    assert encode(FLOAT64_SCHEMA, 3) == 3.0
    with pytest.raises(DataError):
        encode(INT32_SCHEMA, 2**31)
    with pytest.raises(DataError):
        encode(INT32_SCHEMA, True)
    int64_struct = SchemaBuilder.struct().field("n", INT64_SCHEMA).build()
    with pytest.raises(DataError):
        encode(int64_struct, Struct._of(int64_struct, [2**63]))  # unsigned 64-bit: not an int64
    with pytest.raises(DataError, match="Invalid value for INT32 field"):
        decode(INT32_SCHEMA, "12")
    with pytest.raises(DataError, match="Structs should be encoded as JSON objects"):
        decode(ORDER, [])
    with pytest.raises(DataError, match="Mismatching schema"):
        encode(ORDER, Struct(SchemaBuilder.struct().field("x", STRING_SCHEMA).build()))


def exactly(value: decimal.Decimal) -> tuple:
    return value.as_tuple()


def test_numeric_decimals_parsed_as_floats():
    """A float from orjson stands for its decimal exactly when it has at most 15 digits at the
    schema's scale; anything longer, or with more fractional digits, is parsed again exactly."""
    assert exactly(decode(Decimal.schema(2), 4.82)) == exactly(decimal.Decimal("4.82"))
    assert exactly(decode(Decimal.schema(2), 12.5)) == exactly(decimal.Decimal("12.50"))
    assert exactly(decode(Decimal.schema(3), -0.001)) == exactly(decimal.Decimal("-0.001"))
    assert exactly(decode(Decimal.schema(2), 9999999999999.99)) == exactly(decimal.Decimal("9999999999999.99"))
    for too_long in (99999999999999.99, 0.125, 1e300):
        with pytest.raises(NeedExact):
            decode(Decimal.schema(2), too_long)
    assert exactly(decode(Decimal.schema(2), decimal.Decimal("4.8"))) == exactly(decimal.Decimal("4.80"))
    assert exactly(decode(Decimal.schema(2), decimal.Decimal("4.825"))) == exactly(decimal.Decimal("4.825"))
    assert exactly(decode(Decimal.schema(2), 5)) == exactly(decimal.Decimal("5.00"))


def test_dicts_stand_in_for_structs():
    assert encode(ORDER, {"id": 1, "price": decimal.Decimal("1.00"), "created": dt.datetime(
        1970, 1, 1, tzinfo=dt.timezone.utc)}) == {"id": 1, "name": None, "price": "ZA==", "created": 0}


# -- JSON Schema -> Connect: schemas other tools wrote ------------------------------------------------

def to_connect(document, data: JsonSchemaData = DATA, version=None) -> Schema:
    return data.to_connect_schema(document, version)


def test_foreign_object_without_annotations():
    schema = to_connect({
        "$schema": "http://json-schema.org/draft-07/schema#", "title": "Person", "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "score": {"type": "number"},
                       "ok": {"type": "boolean"}, "tags": {"type": "array", "items": {"type": "string"}},
                       "address": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "required": ["name"],
    }, version=4)
    assert schema.name == "Person" and schema.version == 4
    assert [(f.name, f.schema.type, f.schema.optional) for f in schema.fields] == [
        ("name", Type.STRING, False), ("age", Type.INT64, False), ("score", Type.FLOAT64, False),
        ("ok", Type.BOOLEAN, False), ("tags", Type.ARRAY, False), ("address", Type.STRUCT, False)]
    assert schema.field("address").schema.version is None  # only the top level gets the registry version
    optional = to_connect({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                           "required": ["a"]}, JsonSchemaData(optional_for_nonrequired=True))
    assert [f.schema.optional for f in optional.fields] == [False, True]


@pytest.mark.parametrize("node", [
    {"oneOf": [{"type": "null"}, {"type": "string"}]},
    {"anyOf": [{"type": "string"}, {"type": "null"}]},
    {"type": ["string", "null"]},
    {"type": ["null", "string"], "maxLength": 3},
])
def test_nullable_forms(node):
    assert to_connect(node) == OPTIONAL_STRING_SCHEMA


def test_property_order_follows_connect_index_then_document_order():
    schema = to_connect({"type": "object", "properties": {
        "b": {"type": "string", "connect.index": 1}, "a": {"type": "string", "connect.index": 0},
        "z": {"type": "string"}}})
    assert schema.field_names == ("a", "b", "z")


def test_local_refs_to_definitions_and_defs():
    document = {
        "type": "object", "title": "Order",
        "properties": {"customer": {"$ref": "#/definitions/Customer"}, "lines": {
            "type": "array", "items": {"$ref": "#/$defs/Line"}}, "note": {"oneOf": [{"type": "null"}, {
                "$ref": "#/definitions/Note"}]}},
        "definitions": {"Customer": {"type": "object", "title": "Customer", "properties": {
            "id": {"type": "integer"}}}, "Note": {"type": "string"}},
        "$defs": {"Line": {"type": "object", "properties": {"qty": {"type": "integer"}}}},
    }
    schema = to_connect(document)
    assert schema.field("customer").schema.name == "Customer"
    assert schema.field("lines").schema.value_schema.field("qty").schema == INT64_SCHEMA
    assert schema.field("note").schema == OPTIONAL_STRING_SCHEMA
    with pytest.raises(DataError, match="Recursive"):
        to_connect({"type": "object", "properties": {"next": {"$ref": "#"}}})
    with pytest.raises(DataError, match="only local references"):
        to_connect({"$ref": "http://example.com/other.json"})


def test_maps_from_foreign_schemas():
    assert to_connect({"type": "object", "additionalProperties": {"type": "integer"}}) == \
        SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build()
    assert to_connect({"type": "object"}) == SchemaBuilder.struct().build()  # no properties, nothing else: empty struct


def test_unions_become_oneof_structs():
    schema = to_connect({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
    assert schema.name == JSON_TYPE_ONE_OF and schema.optional
    assert [f.name for f in schema.fields] == [f"{JSON_TYPE_ONE_OF}.field.0", f"{JSON_TYPE_ONE_OF}.field.1"]
    value = decode(schema, 42)
    assert value.values == [None, 42]
    assert encode(schema, value) == 42
    assert to_connect({"type": ["string", "integer"]}).name == JSON_TYPE_ONE_OF


def test_all_of_merges_objects_and_constraint_only_one_of_is_ignored():
    schema = to_connect({"allOf": [
        {"type": "object", "properties": {"a": {"type": "string"}}},
        {"properties": {"b": {"type": "integer"}}},
    ]})
    assert schema.field_names == ("a", "b")
    constrained = to_connect({"type": "object", "properties": {"a": {"type": "string"}},
                              "oneOf": [{"required": ["a"]}, {"required": ["b"]}]})
    assert constrained.field_names == ("a",)


def test_enums_defaults_and_descriptions_from_foreign_schemas():
    schema = to_connect({"type": "object", "properties": {
        "color": {"type": "string", "enum": ["red", "green"], "description": "the colour"},
        "n": {"type": "integer", "default": 3}}})
    color = schema.field("color").schema
    assert color.doc == "the colour" and color.parameters == {
        JSON_TYPE_ENUM: "", f"{JSON_TYPE_ENUM}.red": "red", f"{JSON_TYPE_ENUM}.green": "green"}
    assert schema.field("n").schema.default == 3
    assert decode(schema, {"color": "red"}).get("n") == 3


@pytest.mark.parametrize("document, message", [
    ({"type": "array"}, "Array schema did not specify the items type"),
    ({"type": "null"}, "only allows null"),
    ({}, "without a type"),
    (True, "Unsupported JSON Schema"),
    ({"type": "integer", "connect.type": "int128"}, "Unsupported type int128"),
])
def test_unmappable_schemas_fail_clearly(document, message):
    with pytest.raises(DataError, match=message):
        to_connect(document)


def test_missing_property_is_not_an_explicit_null():
    schema = to_connect({"type": "object", "properties": {"a": {"type": "integer"}}})
    assert decode(schema, {}).values == [None]
    assert ValueCodec().decoder(INT64_SCHEMA)(MISSING) is None
