"""dbconnect.api.values against the cases of Kafka's ValuesTest (parseString, convertToString, the tokenizer)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA, INT64_SCHEMA,
    STRING_SCHEMA, Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Type,
)
from dbconnect.api.values import (
    _Tokens, convert_to_string, infer_schema, java_double_string, java_float_string, parse_string,
)

UTC = dt.timezone.utc


@pytest.mark.parametrize("text", [
    "{foo: 3}", "{3: foo}", "[foo]",            # unquoted embedded strings are not values
    "null=", "true}", "false]",                  # a literal followed by more text is a string
    "{6:9 4:20}", "[0 1 2]",                     # no commas
    "{null: 3}",                                 # a null key
    "[1, 2, 3,,,]", "[1, null]", "[null, 1]",    # blank elements; a null among required values
    "simple string", "  ", "si\\mple", "1_000", "Infinity", "NaN", "0x1F",
    "\ufffd\uffff",                              # KAFKA-10574: no infinite loop
])
def test_text_that_is_no_value_stays_a_string(text):
    parsed = parse_string(text)
    assert parsed.schema == STRING_SCHEMA and parsed.value == text


def test_empty_and_null():
    assert parse_string("") == (STRING_SCHEMA, "")
    assert parse_string("null") == (None, None)
    assert parse_string(" \t null \n") == (None, None)
    assert parse_string(None) == (None, None)


@pytest.mark.parametrize("text,value", [("true", True), ("false", False), ("  true  ", True), ("\tfalse\n", False)])
def test_booleans(text, value):
    assert parse_string(text) == (BOOLEAN_SCHEMA, value)


@pytest.mark.parametrize("text,schema,value", [
    ("0", INT8_SCHEMA, 0), ("-128", INT8_SCHEMA, -128), ("127", INT8_SCHEMA, 127), ("+7", INT8_SCHEMA, 7),
    ("128", INT16_SCHEMA, 128), ("300.0", INT16_SCHEMA, 300), ("1.0", INT8_SCHEMA, 1),
    ("66000.0", INT32_SCHEMA, 66000), ("2147483648", INT64_SCHEMA, 2 ** 31),
    ("9223372036854775807", INT64_SCHEMA, 2 ** 63 - 1),
    # ValuesTest.shouldParseFractionalPartsAsIntegerWhenNoFractionalPart and the float cases
    ("1.1", FLOAT32_SCHEMA, 1.1), ("300.01", FLOAT32_SCHEMA, 300.01), ("66000.0008", FLOAT32_SCHEMA, 66000.0),
    ("1e20", FLOAT32_SCHEMA, 1e20), ("1.5e300", FLOAT64_SCHEMA, 1.5e300),
])
def test_numbers_get_the_smallest_type(text, schema, value):
    assert parse_string(text) == (schema, value)


def test_integers_beyond_a_long_are_decimals():
    parsed = parse_string("123456789012345678901234")
    assert parsed.schema == Decimal.schema(0)
    assert parsed.value == decimal.Decimal("123456789012345678901234")


@pytest.mark.parametrize("text,schema,value", [
    ("2019-08-23", Date.SCHEMA, dt.date(2019, 8, 23)),
    ("14:34:54.346Z", Time.SCHEMA, dt.time(14, 34, 54, 346000)),
    ("2019-08-23T14:34:54.346Z", Timestamp.SCHEMA, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)),
    ("2019-08-23T14\\:34\\:54.346Z", Timestamp.SCHEMA, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)),
    ("14\\:34\\:54.346Z", Time.SCHEMA, dt.time(14, 34, 54, 346000)),
])
def test_iso_8601_dates_times_and_timestamps(text, schema, value):
    assert parse_string(text) == (schema, value)


def test_impossible_dates_stay_strings():
    assert parse_string("2019-02-30") == (STRING_SCHEMA, "2019-02-30")


def test_arrays():
    assert parse_string("[true, false]") == (SchemaBuilder.array(BOOLEAN_SCHEMA).build(), [True, False])
    assert parse_string("[]").schema.type is Type.ARRAY and parse_string("[]").value == []
    nulls = parse_string("[null]")
    assert nulls.schema.type is Type.ARRAY and nulls.schema.value_schema is None and nulls.value == [None]
    assert parse_string("[[]]").schema.value_schema.type is Type.ARRAY
    assert parse_string("[{}]").schema.value_schema.type is Type.MAP
    # numbers widen to a common type
    widened = parse_string("[1, 2.5]")
    assert widened.schema.value_schema == FLOAT32_SCHEMA and widened.value == [1.0, 2.5]
    assert parse_string("[1, 300, 70000]") == (SchemaBuilder.array(INT32_SCHEMA).build(), [1, 300, 70000])
    stamps = parse_string("[2019-08-23T14:34:54.346Z,2019-01-23T15:12:34.567Z,   2019-04-23T19:12:34.567Z]")
    assert stamps.schema.value_schema == Timestamp.SCHEMA
    assert stamps.value[2] == dt.datetime(2019, 4, 23, 19, 12, 34, 567000, tzinfo=UTC)
    assert parse_string("[2019-08-23]") == (SchemaBuilder.array(Date.SCHEMA).build(), [dt.date(2019, 8, 23)])


def test_maps():
    parsed = parse_string('{true: false, false: true}')
    assert parsed.schema == SchemaBuilder.map(BOOLEAN_SCHEMA, BOOLEAN_SCHEMA).build()
    assert parsed.value == {True: False, False: True}
    empty = parse_string("{}")
    assert empty.schema.type is Type.MAP and empty.value == {}
    null_values = parse_string("{3: null}")
    assert null_values.schema.key_schema == INT8_SCHEMA and null_values.schema.value_schema is None
    assert null_values.value == {3: None}
    assert parse_string('{"a":{}}').schema.value_schema.type is Type.MAP
    assert parse_string('{"a":[]}').schema.value_schema.type is Type.ARRAY
    quoted_time = parse_string('{"k1":"14:34:54.346Z"}')
    assert quoted_time.schema.value_schema == Time.SCHEMA and quoted_time.value == {"k1": dt.time(14, 34, 54, 346000)}
    assert parse_string('{"k1":14:34:54.346Z}').value == {"k1": dt.time(14, 34, 54, 346000)}
    ints = parse_string(' { "foo" :  1234567890 , "bar" : 0,  "baz" : -987654321 }  ')
    assert ints.schema == SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()
    assert ints.value == {"foo": 1234567890, "bar": 0, "baz": -987654321}
    # a key Python cannot hash: the text stays a string
    assert parse_string("{[1]: 2}") == (STRING_SCHEMA, "{[1]: 2}")


@pytest.mark.parametrize("text", [
    ' { "foo" :  1234567890 ,, "bar" : 0,  "baz" : -987654321 }  ',
    ' { "foo" :  1234567890 , "a", "bar" : 0,  "baz" : -987654321 }  ',
    " { ,,  , , }  ",
])
def test_malformed_maps_are_no_maps(text):
    # Kafka's convertToMap refuses these; its parseString gives a string, here (as there) the
    # leading blank token, since the parser rewinds to it after the failed map.
    assert parse_string(text).schema == STRING_SCHEMA


def test_tokens_as_kafkas_parser_splits_them():
    def tokens(text):
        t, out = _Tokens(text), []
        while t.has_next():
            out.append(t.next())
        return out

    assert tokens("simple \n\t\bstring") == ["simple \n\t\bstring"]
    for escaped in ("si\\\\mple", 'si\\"mple', "si\\{mple", "si\\:mple", "si\\,mple"):
        assert tokens(escaped) == [escaped]
    assert tokens("a{b") == ["a", "{", "b"]
    assert tokens('"simple" string') == ['"', "simple", '"', " string"]
    assert tokens("a { b c } d") == ["a ", "{", " b c ", "}", " d"]
    many = _Tokens("a:b:c:d:e:f:g:h")
    assert many.next_n(5) == "a:b:c"
    assert [many.next(), many.next(), many.next()] == [":", "d", ":"]
    assert many.next_n(8) is None  # only 7 remain
    assert many.next() == "e"


def test_convert_to_string():
    assert convert_to_string(None, None) is None
    assert convert_to_string(STRING_SCHEMA, "simple") == "simple"
    assert convert_to_string(None, True) == "true"
    assert convert_to_string(None, 42) == "42"
    assert convert_to_string(None, 1.0) == "1.0"
    assert convert_to_string(FLOAT32_SCHEMA, 1.100000023841858) == "1.1"
    assert convert_to_string(None, decimal.Decimal("1E+3")) == "1E+3"
    assert convert_to_string(None, b"\x00\x01") == "AAE="
    assert convert_to_string(None, ["foo", 1, None, b"\x00"]) == '["foo",1,null,"AA=="]'
    assert convert_to_string(None, {"a": 'x"y\\z'}) == '{"a":"x\\"y\\\\z"}'
    schema = SchemaBuilder.struct().field("id", INT32_SCHEMA).field("name", STRING_SCHEMA).build()
    assert convert_to_string(schema, Struct(schema).put("id", 1).put("name", "n")) == '{"id":1,"name":"n"}'
    # Kafka picks the format from the instant (Values.dateFormatFor)
    assert convert_to_string(Date.SCHEMA, dt.date(2019, 8, 23)) == "2019-08-23"
    assert convert_to_string(Time.SCHEMA, dt.time(14, 34, 54, 346000)) == "14:34:54.346Z"
    assert convert_to_string(Timestamp.SCHEMA, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)) \
        == "2019-08-23T14:34:54.346Z"
    assert convert_to_string(Timestamp.SCHEMA, dt.datetime(2019, 8, 23, tzinfo=UTC)) == "2019-08-23"
    with pytest.raises(Exception, match="Failed to serialize unexpected value type"):
        convert_to_string(None, object())


@pytest.mark.parametrize("value,text", [
    (1.0, "1.0"), (0.0, "0.0"), (-0.0, "-0.0"), (123.456, "123.456"), (1e7, "1.0E7"), (9999999.0, "9999999.0"),
    (0.001, "0.001"), (0.0001, "1.0E-4"), (-2.5e-10, "-2.5E-10"), (float("inf"), "Infinity"), (float("nan"), "NaN"),
])
def test_java_double_string(value, text):
    assert java_double_string(value) == text


def test_java_float_string():
    assert java_float_string(1.1) == "1.1"
    assert java_float_string(3.4028235e38) == "3.4028235E38"
    assert java_float_string(1e40) == "Infinity"


@pytest.mark.parametrize("schema,value", [
    (STRING_SCHEMA, "three\"blind\\\"mice"),
    (STRING_SCHEMA, "string with delimiters: <>?,./\\=+-!@#$%^&*(){}[]|;':"),
    (BOOLEAN_SCHEMA, True), (INT8_SCHEMA, 1), (INT64_SCHEMA, 2 ** 40), (FLOAT32_SCHEMA, 1.5),
    (SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA).build(), {"foo": "123", "bar": "baz"}),
    (SchemaBuilder.map(STRING_SCHEMA, INT16_SCHEMA).build(), {"foo": 12345, "bar": 0, "baz": -4321}),
    (SchemaBuilder.array(STRING_SCHEMA).build(), ["foo", "bar"]),
    (SchemaBuilder.array(INT32_SCHEMA).build(), [1234567890, -987654321]),
    (Timestamp.SCHEMA, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)),
])
def test_round_trips(schema, value):
    text = convert_to_string(schema, value)
    assert parse_string(text) == (schema, value)


def test_infer_schema():
    assert infer_schema("x") == STRING_SCHEMA and infer_schema(True) == BOOLEAN_SCHEMA
    assert infer_schema([1, None]) == Schema(Type.ARRAY, value_schema=Schema(Type.INT64, optional=True))
    assert infer_schema([1, "a"]) is None and infer_schema([]) is None and infer_schema(None) is None
