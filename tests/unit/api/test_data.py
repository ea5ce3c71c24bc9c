import datetime as dt
import decimal

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA, INT64_SCHEMA,
    LOGICAL_TYPES, NULL_SCHEMA_AND_VALUE, OPTIONAL_INT32_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA,
    Date, Decimal, Field, Schema, SchemaAndValue, SchemaBuilder, Struct, Time, Timestamp, Type, validate_value,
)
from dbconnect.api.errors import DataError

D = decimal.Decimal


def order_schema(**extra):
    builder = (
        SchemaBuilder.struct().name("com.example.Order").version(1).doc("an order")
        .field("id", INT32_SCHEMA)
        .field("name", OPTIONAL_STRING_SCHEMA)
        .field("qty", SchemaBuilder.int16().default_value(1).build())
    )
    for name, schema in extra.items():
        builder.field(name, schema)
    return builder.build()


# -- Type and Schema ---------------------------------------------------------------------------

def test_type_values_and_primitive():
    assert Type.INT8.value == "int8" and Type("struct") is Type.STRUCT
    assert [t for t in Type if not t.is_primitive] == [Type.ARRAY, Type.MAP, Type.STRUCT]
    assert str(Type.INT32) == "INT32"  # Java's enum name, used in messages


def test_constants():
    assert INT32_SCHEMA.type is Type.INT32 and not INT32_SCHEMA.optional
    assert OPTIONAL_STRING_SCHEMA.optional and OPTIONAL_STRING_SCHEMA.type is Type.STRING
    assert Schema.STRING_SCHEMA is STRING_SCHEMA
    assert INT32_SCHEMA.fields == [] and INT32_SCHEMA.parameters == {}


def test_schema_from_pairs_assigns_indexes():
    schema = Schema(Type.STRUCT, fields=[("a", INT32_SCHEMA), ("b", STRING_SCHEMA)])
    assert [(f.name, f.index) for f in schema.fields] == [("a", 0), ("b", 1)]
    assert schema.field_names == ("a", "b")
    assert schema.field("b") == Field("b", 1, STRING_SCHEMA)
    assert schema.field("zz") is None


def test_schema_duplicate_field_in_constructor():
    with pytest.raises(DataError):
        Schema(Type.STRUCT, fields=[("a", INT32_SCHEMA), ("a", STRING_SCHEMA)])


def test_schema_equality_and_hash():
    a, b = order_schema(), order_schema()
    assert a is not b and a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a != order_schema(extra=STRING_SCHEMA)
    assert Schema(Type.INT32) == INT32_SCHEMA
    assert Schema(Type.INT32, optional=True) != INT32_SCHEMA
    assert Schema(Type.INT32, default=1) != Schema(Type.INT32, default=2)
    assert Schema(Type.BOOLEAN, default=True) != Schema(Type.BOOLEAN, default=1)
    assert Schema(Type.STRING, parameters={"k": "v"}) != STRING_SCHEMA
    assert SchemaBuilder.array(INT32_SCHEMA).build() != SchemaBuilder.array(INT64_SCHEMA).build()
    # Unhashable defaults still hash.
    hash(SchemaBuilder.array(INT32_SCHEMA).default_value([1, 2]).build())


def test_schema_repr():
    assert repr(INT32_SCHEMA) == "Schema{INT32}"
    assert repr(order_schema()) == "Schema{com.example.Order:STRUCT}"


# -- SchemaBuilder -----------------------------------------------------------------------------

def test_builder_struct():
    schema = order_schema()
    assert schema.type is Type.STRUCT and schema.name == "com.example.Order"
    assert schema.version == 1 and schema.doc == "an order" and not schema.optional
    assert schema.field("qty").schema.default == 1


def test_builder_all_constructors():
    for ctor, t in [
        (SchemaBuilder.int8, Type.INT8), (SchemaBuilder.int16, Type.INT16), (SchemaBuilder.int32, Type.INT32),
        (SchemaBuilder.int64, Type.INT64), (SchemaBuilder.float32, Type.FLOAT32),
        (SchemaBuilder.float64, Type.FLOAT64), (SchemaBuilder.boolean, Type.BOOLEAN),
        (SchemaBuilder.string, Type.STRING), (SchemaBuilder.bytes, Type.BYTES),
    ]:
        assert ctor().build() == Schema(t)
    assert SchemaBuilder.type(Type.STRING).optional().build() == OPTIONAL_STRING_SCHEMA
    m = SchemaBuilder.map(STRING_SCHEMA, SchemaBuilder.int32()).optional().parameter("k", "v").build()
    assert m.key_schema == STRING_SCHEMA and m.value_schema == INT32_SCHEMA
    assert m.optional and m.parameters == {"k": "v"}
    assert SchemaBuilder.array(STRING_SCHEMA).build().value_schema == STRING_SCHEMA


def test_builder_duplicate_field():
    with pytest.raises(DataError, match="duplication a"):
        SchemaBuilder.struct().field("a", INT32_SCHEMA).field("a", INT32_SCHEMA)


def test_builder_field_on_non_struct():
    with pytest.raises(DataError, match="Cannot create fields on type INT32"):
        SchemaBuilder.int32().field("a", INT32_SCHEMA)


def test_builder_rejects_invalid_default_and_resetting():
    with pytest.raises(DataError):
        SchemaBuilder.int8().default_value(1000)
    with pytest.raises(DataError):
        SchemaBuilder.string().default_value(5)
    with pytest.raises(DataError, match="name has already been set"):
        SchemaBuilder.string().name("a").name("b")


# -- validate_value ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "schema, good, bad",
    [
        (INT8_SCHEMA, [127, -128], [128, True, 1.0, "1"]),
        (INT16_SCHEMA, [32767], [32768]),
        (INT32_SCHEMA, [2**31 - 1, -(2**31)], [2**31, False]),
        (INT64_SCHEMA, [2**63 - 1], [2**63, 1.5]),
        (FLOAT64_SCHEMA, [1.5, 2], [True, "1.0", D("1")]),
        (BOOLEAN_SCHEMA, [True, False], [1, "true"]),
        (STRING_SCHEMA, ["", "x"], [b"x", 1]),
        (BYTES_SCHEMA, [b"x", bytearray(b"x"), memoryview(b"x")], ["x"]),
        (SchemaBuilder.array(INT32_SCHEMA).build(), [[1, 2], (1,)], [[1, "x"], {1: 2}]),
        (SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build(), [{"a": 1}], [{1: 1}, {"a": "b"}, [1]]),
        (Decimal.schema(2), [D("1.23")], [b"\x01", 1.23]),
        (Date.SCHEMA, [dt.date(2020, 1, 1)], [1, dt.time()]),
        (Time.SCHEMA, [dt.time(1, 2)], [dt.date(2020, 1, 1), 5]),
        (Timestamp.SCHEMA, [dt.datetime(2020, 1, 1)], [dt.date(2020, 1, 1), 5]),
    ],
)
def test_validate_value(schema, good, bad):
    for value in good:
        validate_value(schema, value)
    for value in bad:
        with pytest.raises(DataError):
            validate_value(schema, value)


def test_validate_null():
    validate_value(OPTIONAL_INT32_SCHEMA, None)
    with pytest.raises(DataError, match='Invalid value: null used for required field: "x", schema type: INT32'):
        validate_value(INT32_SCHEMA, None, "x")


def test_validate_message_names_schema_and_field():
    with pytest.raises(DataError) as info:
        validate_value(Decimal.schema(2), 1.5, "price")
    message = str(info.value)
    assert '"org.apache.kafka.connect.data.Decimal"' in message and "BYTES" in message
    assert 'for field: "price"' in message


def test_validate_struct_schema_mismatch():
    other = SchemaBuilder.struct().field("x", INT32_SCHEMA).build()
    with pytest.raises(DataError, match="Struct schemas do not match"):
        validate_value(order_schema(), Struct(other).put("x", 1))


# -- Struct ------------------------------------------------------------------------------------

def test_struct_put_get_defaults():
    schema = order_schema()
    s = Struct(schema).put("id", 7)
    assert s.get("id") == 7 and s.get(schema.field("id")) == 7
    assert s.get("name") is None
    assert s.get("qty") == 1 and s.get_without_default("qty") is None
    assert s.values == [7, None, None]
    assert s.get_int32("id") == 7 and s.get_string("name") is None
    with pytest.raises(DataError, match="is not of type"):
        s.get_string("id")


def test_struct_put_validates():
    s = Struct(order_schema())
    with pytest.raises(DataError, match='for field: "id"'):
        s.put("id", "seven")
    with pytest.raises(DataError, match="nope is not a valid field name"):
        s.put("nope", 1)
    with pytest.raises(DataError, match="Not a struct schema"):
        Struct(INT32_SCHEMA)


def test_struct_validate_message():
    s = Struct(order_schema()).put("name", "x")
    with pytest.raises(DataError) as info:
        s.validate()
    assert str(info.value) == 'Invalid value: null used for required field: "id", schema type: INT32'
    s.put("id", 1).validate()  # qty has a default, name is optional


def test_struct_equality_repr_and_dicts():
    schema = order_schema()
    a = Struct(schema).put("id", 1).put("name", "n")
    b = Struct.from_dict(order_schema(), {"id": 1, "name": "n", "ignored": 5})
    assert a == b and hash(a) == hash(b)
    assert a != Struct(schema).put("id", 2)
    assert repr(a) == "Struct{id=1,name='n'}"
    assert a.to_dict() == {"id": 1, "name": "n", "qty": 1}


def test_struct_from_dict_nested_and_unvalidated():
    inner = SchemaBuilder.struct().field("x", INT32_SCHEMA).build()
    outer = SchemaBuilder.struct().field("in", inner).field("list", SchemaBuilder.array(inner).build()).build()
    s = Struct.from_dict(outer, {"in": {"x": 1}, "list": [Struct(inner).put("x", 2)]})
    assert isinstance(s.get("in"), Struct) and s.get("in").get("x") == 1
    assert s.to_dict() == {"in": {"x": 1}, "list": [{"x": 2}]}
    bad = Struct.from_dict(inner, {"x": "not an int"})  # fast path: no per-field check
    with pytest.raises(DataError):
        bad.validate()


def test_schema_and_value():
    sv = SchemaAndValue(INT32_SCHEMA, 5)
    assert sv.schema is INT32_SCHEMA and sv.value == 5
    assert NULL_SCHEMA_AND_VALUE == (None, None) and SchemaAndValue.NULL is NULL_SCHEMA_AND_VALUE


# -- logical types -----------------------------------------------------------------------------

def test_logical_registry_and_schemas():
    assert set(LOGICAL_TYPES) == {
        "org.apache.kafka.connect.data.Decimal", "org.apache.kafka.connect.data.Date",
        "org.apache.kafka.connect.data.Time", "org.apache.kafka.connect.data.Timestamp",
    }
    assert Date.SCHEMA.type is Type.INT32 and Date.SCHEMA.version == 1
    assert Time.SCHEMA.type is Type.INT32 and Timestamp.SCHEMA.type is Type.INT64
    assert Timestamp.OPTIONAL_SCHEMA.optional and Timestamp.OPTIONAL_SCHEMA.name == Timestamp.LOGICAL_NAME
    s = Decimal.schema(2, precision=10, optional=True)
    assert s.type is Type.BYTES and s.optional and s.version == 1
    assert s.parameters == {"scale": "2", "connect.decimal.precision": "10"}
    assert Decimal.builder(3).build().parameters == {"scale": "3"}


@pytest.mark.parametrize(
    "value, scale, wire",
    [
        ("4.82", 2, b"\x01\xe2"),
        ("-4.82", 2, b"\xfe\x1e"),
        ("0", 2, b"\x00"),
        ("-0.01", 2, b"\xff"),
        ("1.27", 2, b"\x7f"),
        ("1.28", 2, b"\x00\x80"),
        ("-1.28", 2, b"\x80"),
        ("-1.29", 2, b"\xff\x7f"),
        ("12345678901234567890123456789012345.6789", 4, None),
        ("-5", 0, b"\xfb"),
    ],
)
def test_decimal_round_trip(value, scale, wire):
    schema = Decimal.schema(scale)
    encoded = Decimal.from_logical(schema, D(value))
    if wire is not None:
        assert encoded == wire
    back = Decimal.to_logical(schema, encoded)
    assert back == D(value) and back.as_tuple().exponent == -scale


def test_decimal_rescaling():
    schema = Decimal.schema(3)
    assert Decimal.to_logical(schema, Decimal.from_logical(schema, D("4.8"))) == D("4.800")
    assert str(Decimal.to_logical(schema, Decimal.from_logical(schema, D("-1E+2")))) == "-100.000"
    assert Decimal.from_logical(schema, D("4.8000")) == Decimal.from_logical(schema, D("4.8"))
    with pytest.raises(DataError, match="losing precision"):
        Decimal.from_logical(schema, D("4.8005"))
    with pytest.raises(DataError):
        Decimal.from_logical(schema, D("NaN"))
    with pytest.raises(DataError, match="scale parameter not found"):
        Decimal.from_logical(SchemaBuilder.bytes().name(Decimal.LOGICAL_NAME).build(), D(1))


def test_date_round_trip():
    assert Date.from_logical(Date.SCHEMA, dt.date(1970, 1, 1)) == 0
    assert Date.from_logical(Date.SCHEMA, dt.date(2022, 1, 8)) == 19000
    assert Date.from_logical(Date.SCHEMA, dt.date(1969, 12, 31)) == -1
    assert Date.to_logical(Date.SCHEMA, 19000) == dt.date(2022, 1, 8)
    assert Date.from_logical(Date.SCHEMA, dt.datetime(2022, 1, 8)) == 19000
    with pytest.raises(DataError, match="time fields"):
        Date.from_logical(Date.SCHEMA, dt.datetime(2022, 1, 8, 1))
    with pytest.raises(DataError, match="schema does not match"):
        Date.from_logical(Time.SCHEMA, dt.date(2022, 1, 8))


def test_time_round_trip():
    assert Time.from_logical(Time.SCHEMA, dt.time(1)) == 3_600_000
    assert Time.from_logical(Time.SCHEMA, dt.time(23, 59, 59, 999_999)) == 86_399_999
    assert Time.to_logical(Time.SCHEMA, 3_723_004) == dt.time(1, 2, 3, 4000)
    tz = dt.timezone(dt.timedelta(hours=2))
    assert Time.from_logical(Time.SCHEMA, dt.time(1, tzinfo=tz)) == 23 * 3_600_000
    with pytest.raises(DataError):
        Time.to_logical(Time.SCHEMA, 86_400_000)


def test_timestamp_round_trip():
    utc = dt.timezone.utc
    ts = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc)
    assert Timestamp.from_logical(Timestamp.SCHEMA, ts) == 1_700_000_000_000
    assert Timestamp.from_logical(Timestamp.SCHEMA, ts.replace(tzinfo=None)) == 1_700_000_000_000  # naive = UTC
    cet = ts.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert Timestamp.from_logical(Timestamp.SCHEMA, cet) == 1_700_000_000_000
    back = Timestamp.to_logical(Timestamp.SCHEMA, 1_700_000_000_123)
    assert back == ts + dt.timedelta(milliseconds=123) and back.tzinfo is utc
    assert Timestamp.to_logical(Timestamp.SCHEMA, -1) == dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=utc)
    # Sub-millisecond precision is floored, as Java's Date holds milliseconds.
    assert Timestamp.from_logical(Timestamp.SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 0, 1999)) == 1
    assert Timestamp.from_logical(Timestamp.SCHEMA, dt.datetime(1969, 12, 31, 23, 59, 59, 999999)) == -1


def test_every_logical_type_has_its_value_check():
    """validate_value names the logical types' value kinds itself (schema.py sits below logical.py)."""
    from dbconnect.api import schema as schema_module
    from dbconnect.api.data import LOGICAL_TYPES

    assert set(schema_module._LOGICAL_CHECKS) == set(LOGICAL_TYPES)
