"""SimpleHeaderConverter against the cases of Kafka's SimpleHeaderConverterTest."""

from __future__ import annotations

import pytest

from dbconnect.api.data import (
    BYTES_SCHEMA, INT16_SCHEMA, INT32_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, SchemaBuilder, Type,
)
from dbconnect.converters.simple_header import SimpleHeaderConverter

TOPIC, HEADER = "topic", "header"
STRING_MAP = {"foo": "123", "bar": "baz"}
STRING_MAP_SCHEMA = SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA).build()
STRING_SHORT_MAP = {"foo": 12345, "bar": 0, "baz": -4321}
STRING_SHORT_MAP_SCHEMA = SchemaBuilder.map(STRING_SCHEMA, INT16_SCHEMA).build()
STRING_INT_MAP = {"foo": 1234567890, "bar": 0, "baz": -987654321}
STRING_INT_MAP_SCHEMA = SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()


@pytest.fixture
def converter():
    c = SimpleHeaderConverter()
    c.configure({})
    return c


def round_trip(converter, schema, value):
    return converter.to_connect_header(TOPIC, HEADER, converter.from_connect_header(TOPIC, HEADER, schema, value))


def assert_round_trip(converter, schema, value):
    serialized = converter.from_connect_header(TOPIC, HEADER, schema, value)
    result = converter.to_connect_header(TOPIC, HEADER, serialized)
    if value is None:
        assert serialized is None and result.schema is None and result.value is None
        return
    assert serialized is not None
    assert (result.schema, result.value) == (schema, value)
    again = converter.to_connect_header(TOPIC, HEADER, converter.from_connect_header(TOPIC, HEADER, result.schema,
                                                                                     result.value))
    assert again == result


@pytest.mark.parametrize("schema,value", [
    (STRING_SCHEMA, None), (OPTIONAL_STRING_SCHEMA, None),
    (STRING_SCHEMA, "simple"), (STRING_SCHEMA, ""),
    (STRING_SCHEMA, "three\"blind\\\"mice"),
    (STRING_SCHEMA, "string with delimiters: <>?,./\\=+-!@#$%^&*(){}[]|;':"),
    (STRING_MAP_SCHEMA, STRING_MAP), (STRING_SHORT_MAP_SCHEMA, STRING_SHORT_MAP),
    (STRING_INT_MAP_SCHEMA, STRING_INT_MAP),
    (SchemaBuilder.array(STRING_SCHEMA).build(), ["foo", "bar"]),
    (SchemaBuilder.array(INT32_SCHEMA).build(), [1234567890, -987654321]),
])
def test_round_trips(converter, schema, value):
    assert_round_trip(converter, schema, value)


@pytest.mark.parametrize("text,schema,value", [
    ('{"foo":"123","bar":"baz"}', STRING_MAP_SCHEMA, STRING_MAP),
    ('{ "foo" : "123", \n"bar" : "baz" } ', STRING_MAP_SCHEMA, STRING_MAP),
    ('{"foo":12345,"bar":0,"baz":-4321}', STRING_SHORT_MAP_SCHEMA, STRING_SHORT_MAP),
    (' { "foo" :  12345 , "bar" : 0,  "baz" : -4321 }  ', STRING_SHORT_MAP_SCHEMA, STRING_SHORT_MAP),
    ('{"foo":1234567890,"bar":0,"baz":-987654321}', STRING_INT_MAP_SCHEMA, STRING_INT_MAP),
    (' { "foo" :  1234567890 , "bar" : 0,  "baz" : -987654321 }  ', STRING_INT_MAP_SCHEMA, STRING_INT_MAP),
])
def test_strings_of_maps_are_read_as_maps(converter, text, schema, value):
    assert round_trip(converter, STRING_SCHEMA, text) == (schema, value)


def test_mixed_values_give_no_value_schema(converter):
    mixed_map = round_trip(converter, None, {"foo": "bar", "baz": 3456})
    assert mixed_map.schema.type is Type.MAP and mixed_map.schema.key_schema.type is Type.STRING
    assert mixed_map.schema.value_schema is None and mixed_map.value == {"foo": "bar", "baz": 3456}
    mixed_list = round_trip(converter, None, ["foo", 13344])
    assert mixed_list.schema.type is Type.ARRAY and mixed_list.schema.value_schema is None
    assert mixed_list.value == ["foo", 13344]
    empty_map = round_trip(converter, None, {})
    assert empty_map.schema.type is Type.MAP and empty_map.schema.key_schema is None and empty_map.value == {}
    empty_list = round_trip(converter, None, [])
    assert empty_list.schema.type is Type.ARRAY and empty_list.schema.value_schema is None and empty_list.value == []


def test_bytes_that_are_not_utf8_stay_bytes(converter):
    assert converter.to_connect_header(TOPIC, HEADER, b"\xff\xfe") == (BYTES_SCHEMA, b"\xff\xfe")


def test_what_a_kafka_producer_wrote_is_read_with_its_type(converter):
    assert converter.to_connect_header(TOPIC, HEADER, b"42").value == 42
    assert converter.to_connect_header(TOPIC, HEADER, b"true").value is True
    assert converter.to_connect_header(TOPIC, HEADER, b"trace-7").value == "trace-7"
    assert converter.from_connect_header(TOPIC, HEADER, None, 42) == b"42"
    assert converter.from_connect_header(TOPIC, HEADER, None, b"\x00") == b"AA=="  # base64, as Kafka
