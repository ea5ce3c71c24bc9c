"""Cast$Key / $Value against the cases of Kafka's CastTest and its documentation."""

from __future__ import annotations

import base64
import datetime as dt
import decimal

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, OPTIONAL_FLOAT32_SCHEMA, OPTIONAL_INT16_SCHEMA, STRING_SCHEMA, Date, Decimal, SchemaBuilder,
    Struct, Time, Timestamp, Type,
)
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.transforms.cast import CastKey, CastValue, format_date, java_float_str

from .samples import make, on_side, operated, source

SIDES = [(CastKey, "key"), (CastValue, "value")]
UTC = dt.timezone.utc
MS_PER_DAY = 86_400_000


def at(millis: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=millis)


# ------------------------------------------------------------------------------ configs

@pytest.mark.parametrize("spec, message", [
    ("", "Must specify at least one field to cast."),
    ("foo:faketype", "Invalid type found in casting spec"),
    ("foo:array", "Cast transformation does not support casting to"),
    ("array", "Cast transformation does not support casting to"),
    ("foo:bytes", "Cast transformation does not support casting to"),
    ("foo:int8:extra", "Invalid rename mapping"),
    ("foo:int8,int32", "may only specify a single cast in their spec"),
    ("a:bogus", "Invalid type found in casting spec"),
])
@pytest.mark.parametrize("cls", [CastKey, CastValue])
def test_bad_specs_name_the_key(cls, spec, message):
    with pytest.raises(ConfigError) as caught:
        make(cls, {"spec": spec})
    assert list(caught.value.errors) == ["spec"]
    assert message in caught.value.errors["spec"][0]
    assert "for configuration spec: " in caught.value.errors["spec"][0]
    # validate reports the same key from the definition alone (as Kafka's ConfigDef validator does)
    assert message in cls().config().validate({"spec": spec})["spec"][0]


def test_missing_spec():
    with pytest.raises(ConfigError, match='Missing required configuration "spec" which has no default value.'):
        make(CastValue, {})


@pytest.mark.parametrize("spec, casts", [
    ("a:INT8, b : string", {"a": Type.INT8, "b": Type.STRING}),
    ("Float64", {None: Type.FLOAT64}),
    ("a:int8:", {"a": Type.INT8}),  # Java's split drops the trailing empty part
])
def test_spec_parsing(spec, casts):
    assert make(CastValue, {"spec": spec}).casts == casts


# ------------------------------------------------------------------------------ nulls

@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("schema", [None, STRING_SCHEMA])
def test_a_null_key_or_value_passes_through(cls, side, schema):
    record = on_side(side, schema, None, other_schema=STRING_SCHEMA, other="x")
    assert make(cls, {"spec": "foo:int64"}).apply(record) is record


@pytest.mark.parametrize("replace, expected", [(True, "10"), (False, None)])
def test_field_with_default_value(replace, expected):
    schema = SchemaBuilder.struct().field("magic", SchemaBuilder.int32().optional().default_value(10)).build()
    xform = make(CastValue, {"spec": "magic:string", "replace.null.with.default": str(replace).lower()})
    transformed = xform.apply(source(schema, Struct(schema).put("magic", None)))
    assert transformed.value_schema.field("magic").schema.type is Type.STRING
    assert transformed.value.get_without_default("magic") == expected


# ------------------------------------------------------------------------------ whole values

@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("target, expected", [
    ("int8", 42), ("int16", 42), ("int32", 42), ("int64", 42), ("float32", 42.0), ("float64", 42.0),
    ("boolean", True), ("string", "42"),
])
def test_whole_value_with_schema(cls, side, target, expected):
    schema, value = operated(make(cls, {"spec": target}).apply(on_side(side, INT32_SCHEMA, 42)), side)
    assert schema.type is Type[target.upper()] and value == expected and type(value) is type(expected)


@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("target, expected", [
    ("int8", 42), ("int16", 42), ("int32", 42), ("int64", 42), ("float32", 42.0), ("float64", 42.0),
    ("boolean", True), ("string", "42"),
])
def test_whole_value_schemaless(cls, side, target, expected):
    transformed = make(cls, {"spec": target}).apply(on_side(side, None, 42, other_schema=STRING_SCHEMA, other="bogus"))
    assert operated(transformed, side) == (None, expected)


def test_whole_value_zero_to_boolean_is_false():
    assert make(CastValue, {"spec": "boolean"}).apply(source(INT32_SCHEMA, 0)).value is False


def test_whole_big_decimal_to_string():
    transformed = make(CastValue, {"spec": "string"}).apply(source(Decimal.schema(0), decimal.Decimal(42)))
    assert (transformed.value_schema.type, transformed.value) == (Type.STRING, "42")


def test_whole_timestamp_to_string():
    timestamp = at(MS_PER_DAY + 1)  # a day and a millisecond: the timestamp format
    transformed = make(CastValue, {"spec": "string"}).apply(source(Timestamp.SCHEMA, timestamp))
    assert (transformed.value_schema.type, transformed.value) == (Type.STRING, "1970-01-02T00:00:00.001Z")


def test_whole_value_default_is_cast_too():
    schema = SchemaBuilder.float32().default_value(-42.125).build()
    transformed = make(CastValue, {"spec": "int32"}).apply(source(schema, 42.125))
    assert (transformed.value_schema.type, transformed.value, transformed.value_schema.default) == (Type.INT32, 42, -42)


def test_whole_value_keeps_name_and_optionality():
    schema = SchemaBuilder.int64().name("n").version(2).optional().build()
    transformed = make(CastValue, {"spec": "string"}).apply(source(schema, 5))
    updated = transformed.value_schema
    assert (updated.type, updated.name, updated.version, updated.optional) == (Type.STRING, "n", 2, True)


@pytest.mark.parametrize("value, message", [
    (["foo"], "Cast transformation does not support casting from ARRAY"),
    ({"a": 1}, "Cast transformation does not support casting from MAP"),
    (decimal.Decimal(1), "Cast transformation was passed a value of type Decimal which is not supported"),
])
def test_whole_value_schemaless_unsupported_types(value, message):
    with pytest.raises(DataError, match=message):
        make(CastValue, {"spec": "int8"}).apply(source(None, value))


# ------------------------------------------------------------------------------ conversions

@pytest.mark.parametrize("schema, value, target, expected", [
    (INT32_SCHEMA, 300, "int8", 44),  # Java's narrowing wraps
    (INT64_SCHEMA, 2**31, "int32", -(2**31)),
    (FLOAT64_SCHEMA, 1e20, "int64", 2**63 - 1),  # a double → long saturates
    (FLOAT64_SCHEMA, 1e20, "int8", -1),  # (byte) (int) 1e20
    (FLOAT64_SCHEMA, float("nan"), "int32", 0),
    (FLOAT64_SCHEMA, -2.9, "int32", -2),
    (FLOAT64_SCHEMA, 0.5, "boolean", False),  # longValue() != 0
    (FLOAT64_SCHEMA, 0.1, "float32", 0.10000000149011612),
    (STRING_SCHEMA, "-128", "int8", -128),
    (STRING_SCHEMA, "1.5e3", "float64", 1500.0),
    (STRING_SCHEMA, "2.5f", "float32", 2.5),
    (STRING_SCHEMA, "TRUE", "boolean", True),
    (STRING_SCHEMA, "yes", "boolean", False),  # Boolean.parseBoolean
    (BOOLEAN_SCHEMA, True, "int8", 1),
    (BOOLEAN_SCHEMA, False, "float64", 0.0),
    (BOOLEAN_SCHEMA, False, "string", "false"),
    (FLOAT64_SCHEMA, 1e10, "string", "1.0E10"),  # Double.toString
    (FLOAT64_SCHEMA, 0.5, "string", "0.5"),
    (FLOAT32_SCHEMA, 0.1, "string", "0.1"),  # Float.toString
    (BYTES_SCHEMA, bytes.fromhex("FEDCBA9876543210"), "string", "/ty6mHZUMhA="),
])
def test_java_conversions(schema, value, target, expected):
    assert make(CastValue, {"spec": target}).apply(source(schema, value)).value == expected


@pytest.mark.parametrize("value, target", [("128", "int8"), ("1.5", "int32"), ("abc", "float64"), (" 1", "int64")])
def test_strings_out_of_range(value, target):
    with pytest.raises(DataError, match=rf"Value \({value}\) was out of range for requested data type"):
        make(CastValue, {"spec": target}).apply(source(STRING_SCHEMA, value))


def test_bytes_cast_only_to_string():
    with pytest.raises(DataError, match="Unexpected type in Cast transformation: bytes"):
        make(CastValue, {"spec": "int32"}).apply(source(BYTES_SCHEMA, b"x"))


# ------------------------------------------------------------------------------ fields

def test_logical_to_primitive():
    schema = (SchemaBuilder.struct().field("date_to_int32", Date.SCHEMA).field("timestamp_to_int64", Timestamp.SCHEMA)
              .field("time_to_int64", Time.SCHEMA).field("decimal_to_int32", Decimal.schema(0))
              .field("timestamp_to_float64", Timestamp.SCHEMA)
              .field("null_timestamp_to_int32", Timestamp.OPTIONAL_SCHEMA).build())
    value = (Struct(schema).put("date_to_int32", dt.date(1970, 1, 2)).put("timestamp_to_int64", at(0))
             .put("time_to_int64", dt.time(0, 0, 0, 1000)).put("decimal_to_int32", decimal.Decimal(2**31))
             .put("timestamp_to_float64", at(253402300799999)).put("null_timestamp_to_int32", None))
    spec = ("date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,decimal_to_int32:int32,"
            "timestamp_to_float64:float64,null_timestamp_to_int32:int32")
    transformed = make(CastValue, {"spec": spec}).apply(source(schema, value)).value
    assert transformed.to_dict() == {"date_to_int32": 1, "timestamp_to_int64": 0, "time_to_int64": 1,
                                     "decimal_to_int32": -(2**31), "timestamp_to_float64": 253402300799999.0,
                                     "null_timestamp_to_int32": None}
    assert [f.schema.type for f in transformed.schema.fields] == [Type.INT32, Type.INT64, Type.INT64, Type.INT32,
                                                                 Type.FLOAT64, Type.INT32]
    assert transformed.schema.field("date_to_int32").schema.name is None  # a plain INT32, not a Date


def test_logical_to_string():
    schema = (SchemaBuilder.struct().field("date", Date.SCHEMA).field("decimal", Decimal.schema(0))
              .field("time", Time.SCHEMA).field("timestamp", Timestamp.SCHEMA).build())
    now = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    value = (Struct(schema).put("date", dt.date(1970, 1, 2)).put("decimal", decimal.Decimal(1982))
             .put("time", dt.time(1, 0)).put("timestamp", now))
    spec = "date:string,decimal:string,time:string,timestamp:string"
    transformed = make(CastValue, {"spec": spec}).apply(source(schema, value)).value
    assert transformed.to_dict() == {"date": "1970-01-02", "decimal": "1982", "time": "01:00:00.000Z",
                                     "timestamp": "2024-05-06T07:08:09.123Z"}
    assert all(f.schema.type is Type.STRING for f in transformed.schema.fields)


@pytest.mark.parametrize("cls, side", SIDES)
def test_fields_with_schema(cls, side):
    day = dt.date(1970, 1, 2)
    raw = bytes.fromhex("FEDCBA9876543210")
    schema = (SchemaBuilder.struct().field("int8", INT8_SCHEMA).field("int16", OPTIONAL_INT16_SCHEMA)
              .field("int32", SchemaBuilder.int32().default_value(2)).field("int64", INT64_SCHEMA)
              .field("float32", FLOAT32_SCHEMA).field("float64", SchemaBuilder.float64().default_value(-1.125))
              .field("boolean", BOOLEAN_SCHEMA).field("string", STRING_SCHEMA)
              .field("bigdecimal", Decimal.schema(0)).field("date", Date.SCHEMA)
              .field("optional", OPTIONAL_FLOAT32_SCHEMA).field("timestamp", Timestamp.SCHEMA)
              .field("bytes", BYTES_SCHEMA).field("byteArray", BYTES_SCHEMA).build())
    value = (Struct(schema).put("int8", 8).put("int16", 16).put("int32", 32).put("int64", 64).put("float32", 32.0)
             .put("float64", -64.0).put("boolean", True).put("bigdecimal", decimal.Decimal(42)).put("date", day)
             .put("string", "42").put("timestamp", at(0)).put("bytes", bytearray(raw)).put("byteArray", raw))
    spec = ("int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,"
            "string:int32,bigdecimal:string,date:string,optional:int32,bytes:string,byteArray:string")
    updated_schema, updated = operated(make(cls, {"spec": spec}).apply(on_side(side, schema, value)), side)
    assert updated.to_dict() == {
        "int8": 8, "int16": 16, "int32": 32, "int64": True, "float32": 32.0, "float64": True, "boolean": 1,
        "string": 42, "bigdecimal": "42", "date": "1970-01-02", "optional": None, "timestamp": at(0),
        "bytes": "/ty6mHZUMhA=", "byteArray": base64.b64encode(raw).decode()}
    types = {f.name: f.schema.type for f in updated_schema.fields}
    assert types == {"int8": Type.INT16, "int16": Type.INT32, "int32": Type.INT64, "int64": Type.BOOLEAN,
                     "float32": Type.FLOAT64, "float64": Type.BOOLEAN, "boolean": Type.INT8, "string": Type.INT32,
                     "bigdecimal": Type.STRING, "date": Type.STRING, "optional": Type.INT32,
                     "timestamp": Type.INT64, "bytes": Type.STRING, "byteArray": Type.STRING}
    assert updated_schema.field("int16").schema.optional and updated_schema.field("optional").schema.optional
    assert updated_schema.field("int32").schema.default == 2  # defaults are cast too
    assert updated_schema.field("float64").schema.default is True
    assert updated_schema.field("timestamp").schema == Timestamp.SCHEMA  # not cast: unchanged
    updated.validate()


@pytest.mark.parametrize("cls, side", SIDES)
def test_fields_schemaless(cls, side):
    spec = "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,string:int32"
    value = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "float32": 32.0, "float64": -64.0, "boolean": True,
             "string": "42", "other": "kept"}
    transformed = operated(make(cls, {"spec": spec}).apply(on_side(side, None, value)), side)
    assert transformed == (None, {"int8": 8, "int16": 16, "int32": 32, "int64": True, "float32": 32.0,
                                  "float64": True, "boolean": 1, "string": 42, "other": "kept"})


def test_schema_is_built_once_per_input_schema():
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    xform = make(CastValue, {"spec": "a:string"})
    first = xform.apply(source(schema, Struct(schema).put("a", 1))).value_schema
    assert xform.apply(source(schema, Struct(schema).put("a", 2))).value_schema is first


def test_fields_cast_requires_a_struct_or_map():
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[cast types\], found: int"):
        make(CastValue, {"spec": "a:int8"}).apply(source(INT32_SCHEMA, 1))
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for \[cast types\]"):
        make(CastValue, {"spec": "a:int8"}).apply(source(None, 1))


# ------------------------------------------------------------------------------ Java's text forms

@pytest.mark.parametrize("value, single, expected", [
    (1.0, False, "1.0"), (123.456, False, "123.456"), (1e7, False, "1.0E7"), (9999999.0, False, "9999999.0"),
    (0.001, False, "0.001"), (0.0001, False, "1.0E-4"), (-1.5e-5, False, "-1.5E-5"), (float("inf"), False, "Infinity"),
    (float("nan"), False, "NaN"), (-0.0, False, "-0.0"), (0.1, True, "0.1"), (3.4e38, True, "3.4E38"),
])
def test_java_float_str(value, single, expected):
    assert java_float_str(value, single) == expected


@pytest.mark.parametrize("value, expected", [
    (dt.date(2020, 2, 29), "2020-02-29"),
    (dt.date(1970, 1, 1), "00:00:00.000Z"),  # under a day from the epoch: Kafka picks the time format
    (dt.time(13, 14, 15, 16000), "13:14:15.016Z"),
    (dt.datetime(2020, 2, 29, tzinfo=UTC), "2020-02-29"),
    (dt.datetime(2020, 2, 29, 1, 2, 3, 4000, tzinfo=UTC), "2020-02-29T01:02:03.004Z"),
])
def test_format_date(value, expected):
    assert format_date(value) == expected


def test_null_in_a_required_cast_field_fails_as_kafkas_put_does():
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    with pytest.raises(DataError, match='null used for required field: "a", schema type: STRING'):
        make(CastValue, {"spec": "a:string"}).apply(source(schema, Struct(schema)))


@pytest.mark.parametrize("spec", [
    "a:int8", "A : Int8", "int8", "INT64", "int8:", "a:int8:", "a::int8", "a:int8:x", ":", "::", ":int8", "a:",
    "a::", "a: :", "a:bytes", "bytes", "a:map", "struct", "a:int8,b:string", "int8,a:int8", "int8,int16", "a:int9",
    "a:string ,b: boolean", "a:float32,b:float64,c:int16,d:int32",
])
def test_the_definition_refuses_exactly_what_configure_refuses(spec):
    # validate (the JSON Schema alone) and configure (Kafka's parse) agree on every spec.
    by_definition = bool(CastValue().config().validate({"spec": spec}))
    try:
        make(CastValue, {"spec": spec})
        by_configure = False
    except ConfigError:
        by_configure = True
    assert by_definition == by_configure
