"""MaskField$Key / $Value against the cases of Kafka's MaskFieldTest and its documentation."""

from __future__ import annotations

import datetime as dt
import decimal
import re

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, STRING_SCHEMA, Date, Decimal, SchemaBuilder, Struct, Time, Timestamp,
)
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.transforms.mask_field import MaskFieldKey, MaskFieldValue

from .samples import make, on_side, operated, sink

SIDES = [(MaskFieldKey, "key"), (MaskFieldValue, "value")]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)
SCHEMA = (SchemaBuilder.struct()
          .field("magic", INT32_SCHEMA).field("bool", BOOLEAN_SCHEMA).field("byte", INT8_SCHEMA)
          .field("short", INT16_SCHEMA).field("int", INT32_SCHEMA).field("long", INT64_SCHEMA)
          .field("float", FLOAT32_SCHEMA).field("double", FLOAT64_SCHEMA).field("string", STRING_SCHEMA)
          .field("date", Date.SCHEMA).field("time", Time.SCHEMA).field("timestamp", Timestamp.SCHEMA)
          .field("decimal", Decimal.schema(0)).field("array", SchemaBuilder.array(INT32_SCHEMA))
          .field("map", SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA))
          .field("withDefault", SchemaBuilder.string().optional().default_value("default"))
          .build())
SCHEMALESS = {"magic": 42, "bool": True, "int": 42, "float": 42.0, "string": "55.121.20.20", "date": NOW,
              "bigdec": decimal.Decimal("42.0"), "list": [42], "map": {"key": "value"}}


def with_schema() -> Struct:
    return (Struct(SCHEMA).put("magic", 42).put("bool", True).put("byte", 42).put("short", 42).put("int", 42)
            .put("long", 42).put("float", 42.0).put("double", 42.0).put("string", "hmm")
            .put("date", NOW.date()).put("time", NOW.timetz().replace(tzinfo=None)).put("timestamp", NOW)
            .put("decimal", decimal.Decimal(42)).put("array", [1, 2, 3]).put("map", {"what": "what"})
            .put("withDefault", None))


def masker(cls, fields, replacement=None):
    return make(cls, {"fields": fields, "replacement": replacement, "replace.null.with.default": "false"})


@pytest.mark.parametrize("cls, side", SIDES)
def test_schemaless_masks_with_the_null_value_of_each_type(cls, side):
    fields = [f for f in SCHEMALESS if f != "magic"]
    masked = operated(masker(cls, fields).apply(on_side(side, None, dict(SCHEMALESS), record=sink)), side)[1]
    assert masked == {"magic": 42, "bool": False, "int": 0, "float": 0.0, "string": "", "date": EPOCH,
                      "bigdec": decimal.Decimal(0), "list": [], "map": {}}
    assert type(masked["int"]) is int and type(masked["float"]) is float


@pytest.mark.parametrize("cls, side", SIDES)
def test_with_schema_masks_with_the_null_value_of_each_type(cls, side):
    fields = [f for f in SCHEMA.field_names if f != "magic"]
    schema, masked = operated(masker(cls, fields).apply(on_side(side, SCHEMA, with_schema(), record=sink)), side)
    assert schema is SCHEMA
    assert masked.to_dict() == {
        "magic": 42, "bool": False, "byte": 0, "short": 0, "int": 0, "long": 0, "float": 0.0, "double": 0.0,
        "string": "", "date": dt.date(1970, 1, 1), "time": dt.time(0), "timestamp": EPOCH,
        "decimal": decimal.Decimal(0), "array": [], "map": {}, "withDefault": "default"}
    assert masked.get_without_default("withDefault") is None  # null stays null
    masked.validate()


@pytest.mark.parametrize("field, replacement, expected", [
    ("int", "123", 123), ("float", "123.0", 123.0), ("string", "123", "123"),
    ("bigdec", "123.0", decimal.Decimal("123.0")), ("int", "12.7", 12), ("int", "1e3", 1000),
])
def test_schemaless_replacement(field, replacement, expected):
    masked = masker(MaskFieldValue, [field], replacement).apply(on_side("value", None, dict(SCHEMALESS))).value
    assert masked[field] == expected and type(masked[field]) is type(expected)


@pytest.mark.parametrize("field, replacement, expected", [
    ("short", "123", 123), ("byte", "123", 123), ("int", "123", 123), ("long", "123", 123),
    ("float", "123.0", 123.0), ("double", "123.0", 123.0), ("string", "123", "123"),
    ("decimal", "123.0", decimal.Decimal("123.0")),
    ("byte", "300", 44),  # Java's (byte) narrowing
    ("float", "0.1", 0.10000000149011612),  # single precision
])
def test_with_schema_replacement(field, replacement, expected):
    masked = masker(MaskFieldValue, [field], replacement).apply(on_side("value", SCHEMA, with_schema())).value
    assert masked.get(field) == expected


@pytest.mark.parametrize("fields", [["date"], ["int", "date"], ["bool"], ["list"], ["map"]])
def test_schemaless_unsupported_replacement_type(fields):
    with pytest.raises(DataError, match="Cannot mask value of type"):
        masker(MaskFieldValue, fields, "123").apply(on_side("value", None, dict(SCHEMALESS)))


@pytest.mark.parametrize("field", ["time", "timestamp", "array"])
def test_with_schema_unsupported_replacement_type(field):
    with pytest.raises(DataError, match="Cannot mask value of type"):
        masker(MaskFieldValue, [field], "123").apply(on_side("value", SCHEMA, with_schema()))


@pytest.mark.parametrize("field, message", [
    ("int", "Unable to convert foo (class java.lang.String) to a number"),
    ("float", "Unable to convert foo (class java.lang.String) to a number"),
    ("bigdec", "Unable to convert foo (class java.lang.String) to number"),
])
def test_replacement_type_mismatch(field, message):
    with pytest.raises(DataError, match=re.escape(message)):
        masker(MaskFieldValue, [field], "foo").apply(on_side("value", None, dict(SCHEMALESS)))


def test_bytes_cannot_be_masked():
    schema = SchemaBuilder.struct().field("b", BYTES_SCHEMA).build()
    with pytest.raises(DataError, match="Cannot mask value of type: bytes"):
        masker(MaskFieldValue, ["b"]).apply(on_side("value", schema, Struct(schema).put("b", b"x")))


def test_masked_lists_and_maps_are_fresh_objects():
    first = masker(MaskFieldValue, ["array", "map"]).apply(on_side("value", SCHEMA, with_schema())).value
    first.get("array").append(0)
    first.get("map")["k"] = "v"
    second = masker(MaskFieldValue, ["array", "map"]).apply(on_side("value", SCHEMA, with_schema())).value
    assert second.get("array") == [] and second.get("map") == {}


def test_missing_schemaless_field_becomes_null():
    assert masker(MaskFieldValue, ["absent"]).apply(on_side("value", None, {"a": 1})).value == {"a": 1, "absent": None}


@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("schema, message", [
    (None, r"Only Map objects supported in absence of schema for \[mask fields\], found: null"),
    (SCHEMA, r"Only Struct objects supported for \[mask fields\], found: null"),
])
def test_a_null_key_or_value_fails_as_in_kafka(cls, side, schema, message):
    # Kafka's MaskField, unlike the other field transforms, does not pass tombstones through.
    with pytest.raises(DataError, match=message):
        masker(cls, ["a"]).apply(on_side(side, schema, None))


@pytest.mark.parametrize("configs, key, message", [
    ({}, "fields", 'Missing required configuration "fields" which has no default value.'),
    ({"fields": ""}, "fields", "Invalid value [] for configuration fields: Empty list"),
    ({"fields": "a", "replacement": ""}, "replacement",
     "Invalid value  for configuration replacement: String must be non-empty"),
])
def test_bad_configs(configs, key, message):
    with pytest.raises(ConfigError) as caught:
        make(MaskFieldValue, configs)
    assert caught.value.errors == {key: [message]}
