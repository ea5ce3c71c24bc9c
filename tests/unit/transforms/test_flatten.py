"""Flatten$Key / $Value against the cases of Kafka's FlattenTest and its documentation."""

from __future__ import annotations

import decimal

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, OPTIONAL_INT32_SCHEMA, OPTIONAL_INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct, Type,
)
from dbconnect.api.errors import DataError
from dbconnect.transforms.flatten import FlattenKey, FlattenValue

from .samples import make, on_side, operated, source

SIDES = [(FlattenKey, "key"), (FlattenValue, "value")]
SUPPORTED = (SchemaBuilder.struct().field("int8", INT8_SCHEMA).field("int16", INT16_SCHEMA)
             .field("int32", INT32_SCHEMA).field("int64", INT64_SCHEMA).field("float32", FLOAT32_SCHEMA)
             .field("float64", FLOAT64_SCHEMA).field("boolean", BOOLEAN_SCHEMA).field("string", STRING_SCHEMA)
             .field("bytes", BYTES_SCHEMA).build())
VALUES = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "float32": 32.0, "float64": 64.0, "boolean": True,
          "string": "stringy", "bytes": b"bytes"}
ONE_LEVEL = SchemaBuilder.struct().field("B", SUPPORTED).build()
TWO_LEVELS = SchemaBuilder.struct().name("outer").version(2).field("A", ONE_LEVEL).build()


def nested() -> Struct:
    supported = Struct(SUPPORTED)
    for name, value in VALUES.items():
        supported.put(name, value)
    return Struct(TWO_LEVELS).put("A", Struct(ONE_LEVEL).put("B", supported))


@pytest.mark.parametrize("cls, side", SIDES)
def test_top_level_struct_or_map_required(cls, side):
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[flattening\], found: int"):
        make(cls, {}).apply(on_side(side, INT32_SCHEMA, 42))
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for \[flattening\]"):
        make(cls, {}).apply(on_side(side, None, 42))


@pytest.mark.parametrize("cls, side", SIDES)
def test_nested_struct(cls, side):
    xform = make(cls, {})
    schema, value = operated(xform.apply(on_side(side, TWO_LEVELS, nested())), side)
    assert schema.type is Type.STRUCT and (schema.name, schema.version) == ("outer", 2)
    assert schema.field_names == tuple(f"A.B.{name}" for name in VALUES)
    assert value.to_dict() == {f"A.B.{name}": v for name, v in VALUES.items()}
    assert schema.field("A.B.int8").schema == INT8_SCHEMA
    value.validate()
    assert operated(xform.apply(on_side(side, TWO_LEVELS, nested())), side)[0] is schema  # cached


@pytest.mark.parametrize("cls, side", SIDES)
def test_nested_map_with_delimiter(cls, side):
    transformed = make(cls, {"delimiter": "#"}).apply(on_side(side, None, {"A": {"B": dict(VALUES)}}))
    assert operated(transformed, side) == (None, {f"A#B#{name}": v for name, v in VALUES.items()})


def test_optional_field_struct():
    inner = SchemaBuilder.struct().field("opt_int32", OPTIONAL_INT32_SCHEMA).build()
    outer = SchemaBuilder.struct().field("B", inner).build()
    value = make(FlattenValue, {}).apply(source(outer, Struct(outer).put("B", Struct(inner)))).value
    assert value.get("B.opt_int32") is None


def test_optional_nested_struct():
    inner = SchemaBuilder.struct().optional().field("opt_int32", OPTIONAL_INT32_SCHEMA).build()
    outer = SchemaBuilder.struct().field("B", inner).build()
    transformed = make(FlattenValue, {}).apply(source(outer, Struct(outer).put("B", None)))
    assert transformed.value_schema.type is Type.STRUCT and transformed.value.get("B.opt_int32") is None


def test_optional_field_map():
    assert make(FlattenValue, {}).apply(source(None, {"B": {"opt_int32": None}})).value == {"B.opt_int32": None}


def test_key():
    transformed = make(FlattenKey, {}).apply(source(key={"A": {"B": 12}}))
    assert (transformed.key_schema, transformed.key) == (None, {"A.B": 12})


def test_schemaless_arrays_are_kept_as_they_are():
    value = {"foo": ["bar", {"baz": {"lfg": "lfg"}}]}
    assert make(FlattenValue, {}).apply(source(None, value)).value == value


def test_arrays_with_schema_are_kept_as_they_are():
    nested_schema = SchemaBuilder.struct().field("lfg", STRING_SCHEMA).build()
    inner = SchemaBuilder.struct().field("baz", nested_schema).build()
    schema = SchemaBuilder.struct().field("foo", SchemaBuilder.array(inner).doc("durk")).build()
    value = Struct(schema).put("foo", [Struct(inner).put("baz", Struct(nested_schema).put("lfg", "lfg"))])
    transformed = make(FlattenValue, {}).apply(source(schema, value))
    assert transformed.value_schema == schema and transformed.value == value


def test_optional_and_default_values_nested():
    # The fields of an optional struct become optional; a default of the struct becomes its fields' defaults.
    builder = SchemaBuilder.struct().optional().field("req_field", STRING_SCHEMA) \
        .field("opt_field", SchemaBuilder.string().optional().default_value("child_default"))
    child_default = Struct(builder.build()).put("req_field", "req_default")
    schema = builder.default_value(child_default).build()
    transformed = make(FlattenValue, {}).apply(source(schema, Struct(schema)))
    fields = transformed.value_schema.fields
    assert len(fields) == 2
    assert transformed.value_schema.field("req_field").schema == \
        SchemaBuilder.string().optional().default_value("req_default").build()
    assert transformed.value_schema.field("opt_field").schema == \
        SchemaBuilder.string().optional().default_value("child_default").build()


def test_optional_parent_makes_nested_fields_optional():
    inner = SchemaBuilder.struct().field("x", INT64_SCHEMA).build()
    outer = SchemaBuilder.struct().field("a", SchemaBuilder.struct().optional().field("b", inner)).build()
    transformed = make(FlattenValue, {}).apply(source(outer, Struct(outer)))
    assert transformed.value_schema.field("a.b.x").schema == OPTIONAL_INT64_SCHEMA


@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("schema", [None, SchemaBuilder.struct().name("n").field("magic", OPTIONAL_INT64_SCHEMA).build()])
def test_tombstones_pass_through(cls, side, schema):
    record = on_side(side, schema, None)
    assert make(cls, {}).apply(record) is record


def test_map_with_null_fields_keeps_their_order():
    value = {"firstNull": None, "firstSet": "foo", "secondNull": None}
    assert list(make(FlattenValue, {}).apply(source(None, value)).value.items()) == list(value.items())


def test_map_inside_a_struct_is_refused():
    schema = SchemaBuilder.struct().field("m", SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA)).build()
    with pytest.raises(DataError, match=r"Flatten transformation does not support MAP for record with schemas "
                                        r"\(for field m\)\."):
        make(FlattenValue, {}).apply(source(schema, Struct(schema).put("m", {})))


@pytest.mark.parametrize("value, message", [
    ({"a": {"d": decimal.Decimal(1)}}, "Flatten transformation was passed a value of type Decimal which is not "
                                       "supported by Connect's data API"),
    ({"a": Struct(SUPPORTED)}, r"Flatten transformation does not support Struct for record without schemas "
                               r"\(for field a\)\."),
])
def test_schemaless_values_outside_connects_data_api(value, message):
    with pytest.raises(DataError, match=message):
        make(FlattenValue, {}).apply(source(None, value))


def test_fields_under_a_null_struct_are_left_unset_as_kafka_leaves_them():
    # Kafka puts nothing below a null Struct, so even required leaves stay null without an error here.
    inner = SchemaBuilder.struct().field("x", INT64_SCHEMA).build()
    outer = SchemaBuilder.struct().field("a", inner).field("b", INT32_SCHEMA).build()
    value = Struct(outer).put("b", 1)
    value.values[0] = None  # what a converter's unchecked Struct may hold
    flat = make(FlattenValue, {}).apply(source(outer, value)).value
    assert flat.get("a.x") is None and flat.get("b") == 1


def test_a_null_required_leaf_fails_as_kafkas_put_does():
    schema = SchemaBuilder.struct().field("a", SchemaBuilder.struct().field("x", INT64_SCHEMA)).build()
    value = Struct(schema)
    value.values[0] = Struct(schema.field("a").schema)  # x never set (put would refuse the nested Struct)
    with pytest.raises(DataError, match='null used for required field: "a.x"'):
        make(FlattenValue, {}).apply(source(schema, value))
