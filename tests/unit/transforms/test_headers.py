"""InsertHeader, DropHeaders and HeaderFrom$Key/$Value against Kafka's unit tests."""

from __future__ import annotations

import datetime as dt

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, INT8_SCHEMA, INT32_SCHEMA, OPTIONAL_INT32_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct, Timestamp,
)
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.api.records import Header, Headers, SinkRecord, SourceRecord
from dbconnect.transforms.drop_headers import DropHeaders
from dbconnect.transforms.header_from import HeaderFromKey, HeaderFromValue
from dbconnect.transforms.insert_header import InsertHeader


def source_record(headers, key=None, key_schema=None, value=None, value_schema=None):
    return SourceRecord({"foo": "bar"}, {"baz": "quxx"}, "topic", partition=0, key=key, key_schema=key_schema,
                        value=value, value_schema=value_schema, timestamp=0, headers=headers)


def as_tuples(headers):
    return [(h.key, h.value, h.schema) for h in headers]


def assert_non_headers(original, transformed):
    assert (original.source_partition, original.source_offset, original.topic, original.partition,
            original.key_schema, original.key, original.value_schema, original.value, original.timestamp) == \
        (transformed.source_partition, transformed.source_offset, transformed.topic, transformed.partition,
         transformed.key_schema, transformed.key, transformed.value_schema, transformed.value, transformed.timestamp)


# ------------------------------------------------------------------ InsertHeader

@pytest.mark.parametrize("name, literal, expected", [
    ("inserted", "inserted-value", ("inserted", "inserted-value", STRING_SCHEMA)),  # insertionWithExistingOtherHeader
    ("existing", "inserted-value", ("existing", "inserted-value", STRING_SCHEMA)),  # insertionWithExistingSameHeader
    ("inserted", "1", ("inserted", 1, INT8_SCHEMA)),                                # insertionWithByteHeader
    ("inserted", "true", ("inserted", True, BOOLEAN_SCHEMA)),
    ("inserted", "100000", ("inserted", 100000, INT32_SCHEMA)),
    ("inserted", "2017-01-03T06:30:01.864Z",
     ("inserted", dt.datetime(2017, 1, 3, 6, 30, 1, 864000, tzinfo=dt.timezone.utc), Timestamp.SCHEMA)),
    ("inserted", "", ("inserted", "", STRING_SCHEMA)),
])
def test_insert_header(name, literal, expected):
    xform = InsertHeader()
    xform.configure({"header": name, "value.literal": literal})
    original = source_record(Headers().add("existing", "existing-value", STRING_SCHEMA))
    transformed = xform.apply(original)
    assert_non_headers(original, transformed)
    assert as_tuples(transformed.headers) == [("existing", "existing-value", STRING_SCHEMA), expected]
    assert as_tuples(original.headers) == [("existing", "existing-value", STRING_SCHEMA)]  # a copy was changed


def test_insert_header_array_literal():
    xform = InsertHeader()
    xform.configure({"header": "h", "value.literal": "[1,2,3]"})
    header = xform.apply(source_record(None)).headers[0]
    assert header.value == [1, 2, 3]
    assert header.schema == SchemaBuilder.array(INT8_SCHEMA).build()


@pytest.mark.parametrize("config, key", [
    ({"value.literal": "1"}, "header"),         # configRejectsNullHeaderKey
    ({"header": "inserted"}, "value.literal"),  # configRejectsNullHeaderValue
    ({"header": None, "value.literal": "1"}, "header"),
])
def test_insert_header_bad_configs(config, key):
    with pytest.raises(ConfigError) as info:
        InsertHeader().configure(config)
    assert info.value.errors[key] == [f'Missing required configuration "{key}" which has no default value.']


# ------------------------------------------------------------------ DropHeaders

@pytest.mark.parametrize("drop, headers, expected", [
    (["dropped"], [("dropped", "a"), ("kept", "b")], [("kept", "b")]),                    # dropExistingHeader
    (["dropped"], [("dropped", "a"), ("kept", "b"), ("dropped", "c")], [("kept", "b")]),  # with duplicates
    (["dropped", "other"], [("dropped", "a"), ("other", "c"), ("kept", "b")], [("kept", "b")]),
    (["missing"], [("kept", "b")], [("kept", "b")]),                                       # dropNonExistingHeader
])
def test_drop_headers(drop, headers, expected):
    xform = DropHeaders()
    xform.configure({"headers": ",".join(drop)})
    original = source_record(headers)
    transformed = xform.apply(original)
    assert_non_headers(original, transformed)
    assert [(h.key, h.value) for h in transformed.headers] == expected
    assert len(original.headers) == len(headers)


@pytest.mark.parametrize("config, message", [
    ({}, 'Missing required configuration "headers" which has no default value.'),
    ({"headers": ""}, "Invalid value [] for configuration headers: Empty list"),  # configRejectsEmptyList
])
def test_drop_headers_bad_configs(config, message):
    with pytest.raises(ConfigError) as info:
        DropHeaders().configure(config)
    assert info.value.errors["headers"] == [message]


# ------------------------------------------------------------------ HeaderFrom

SCHEMA = (SchemaBuilder.struct().name("Row").version(2).field("field1", STRING_SCHEMA)
          .field("field2", OPTIONAL_INT32_SCHEMA).field("field3", STRING_SCHEMA).build())


def configured(cls, fields, headers, operation, **extra):
    xform = cls()
    xform.configure({"fields": fields, "headers": headers, "operation": operation, **extra})
    return xform


@pytest.mark.parametrize("cls, side", [(HeaderFromValue, "value"), (HeaderFromKey, "key")])
@pytest.mark.parametrize("operation", ["copy", "move"])
def test_header_from_with_schema(cls, side, operation):
    struct = Struct(SCHEMA).put("field1", "a").put("field2", 2).put("field3", "c")
    record = source_record([("existing", "x")], **{side: struct, f"{side}_schema": SCHEMA})
    transformed = configured(cls, "field1,field2", "h1,h2", operation).apply(record)
    assert as_tuples(transformed.headers) == [
        ("existing", "x", None), ("h1", "a", STRING_SCHEMA), ("h2", 2, OPTIONAL_INT32_SCHEMA)]
    new_schema, new_value = getattr(transformed, f"{side}_schema"), getattr(transformed, side)
    if operation == "copy":
        assert new_schema is SCHEMA and new_value is struct
    else:
        assert new_schema == SchemaBuilder.struct().name("Row").version(2).field("field3", STRING_SCHEMA).build()
        assert new_value == Struct(new_schema).put("field3", "c")
    other = "key" if side == "value" else "value"
    assert getattr(transformed, other) is None and transformed.topic == "topic"


@pytest.mark.parametrize("cls, side", [(HeaderFromValue, "value"), (HeaderFromKey, "key")])
@pytest.mark.parametrize("operation, remaining", [("copy", {"field1": "a", "field2": 2, "field3": "c"}),
                                                  ("move", {"field3": "c"})])
def test_header_from_schemaless(cls, side, operation, remaining):
    value = {"field1": "a", "field2": 2, "field3": "c"}
    record = source_record(None, **{side: value})
    transformed = configured(cls, "field1,field2,missing", "h1,h2,h3", operation).apply(record)
    assert as_tuples(transformed.headers) == [("h1", "a", None), ("h2", 2, None), ("h3", None, None)]
    assert getattr(transformed, side) == remaining
    assert getattr(transformed, f"{side}_schema") is None
    assert value == {"field1": "a", "field2": 2, "field3": "c"}


def test_header_from_the_same_field_into_two_headers():
    record = source_record(None, value={"f": 1})
    transformed = configured(HeaderFromValue, "f,f", "a,b", "move").apply(record)
    assert [(h.key, h.value) for h in transformed.headers] == [("a", 1), ("b", 1)]
    assert transformed.value == {}


@pytest.mark.parametrize("replace, expected", [(True, 7), (False, None)])
def test_header_from_replace_null_with_default(replace, expected):
    schema = SchemaBuilder.struct().field("f", SchemaBuilder.int32().optional().default_value(7)).build()
    record = source_record(None, value=Struct(schema), value_schema=schema)
    transformed = configured(HeaderFromValue, "f", "h", "copy", **{"replace.null.with.default": replace}).apply(record)
    assert transformed.headers[0].value == expected


def test_header_from_on_a_sink_record_keeps_its_coordinates():
    record = SinkRecord("t", 2, None, None, None, {"f": 1}, 10, timestamp=5)
    transformed = configured(HeaderFromValue, "f", "h", "move").apply(record)
    assert (transformed.kafka_partition, transformed.kafka_offset, transformed.timestamp) == (2, 10, 5)
    assert transformed.value == {} and transformed.headers == [Header("h", 1, None)]


def test_header_from_needs_a_struct_or_a_map():
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for \[header move\], "
                                        r"found: str"):
        configured(HeaderFromValue, "f", "h", "move").apply(source_record(None, value="nope"))
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[header copy\], found: str"):
        configured(HeaderFromValue, "f", "h", "copy").apply(source_record(None, value="x", value_schema=STRING_SCHEMA))


def test_header_from_a_field_missing_from_the_schema():
    struct = Struct(SCHEMA).put("field1", "a").put("field3", "c")
    with pytest.raises(DataError, match="Field nope does not exist"):
        configured(HeaderFromValue, "nope", "h", "copy").apply(source_record(None, value=struct, value_schema=SCHEMA))


@pytest.mark.parametrize("config, key, message", [
    ({"fields": "a,b", "headers": "h", "operation": "copy"}, "headers",
     "'fields' config must have the same number of elements as 'headers' config."),
    ({"fields": "", "headers": "h", "operation": "copy"}, "fields", "Invalid value [] for configuration fields: Empty list"),
    ({"fields": "a", "headers": "", "operation": "copy"}, "headers", "Invalid value [] for configuration headers: Empty list"),
    ({"fields": "a", "headers": "h", "operation": "rename"}, "operation",
     "Invalid value rename for configuration operation: String must be one of: move, copy"),
    ({"fields": "a", "headers": "h"}, "operation",
     'Missing required configuration "operation" which has no default value.'),
])
def test_header_from_bad_configs(config, key, message):
    with pytest.raises(ConfigError) as info:
        HeaderFromValue().configure(config)
    assert info.value.errors[key] == [message]


def test_header_from_kafka_names():
    assert HeaderFromKey.aliases == ("org.apache.kafka.connect.transforms.HeaderFrom$Key", "HeaderFrom$Key")
    assert HeaderFromValue.aliases == ("org.apache.kafka.connect.transforms.HeaderFrom$Value", "HeaderFrom$Value")


@pytest.mark.parametrize("cls, side", [(HeaderFromValue, "value"), (HeaderFromKey, "key")])
@pytest.mark.parametrize("operation", ["copy", "move"])
def test_header_from_struct_field_and_two_fields_into_one_header(cls, side, operation):
    # Kafka's "copy/move with struct value" and "two fields to same header"
    inner = SchemaBuilder.struct().field("foo", STRING_SCHEMA).build()
    inner_value = Struct(inner).put("foo", "foo-value")
    schema = (SchemaBuilder.struct().field("field1", inner).field("field2", STRING_SCHEMA)
              .field("field3", STRING_SCHEMA).build())
    value = Struct(schema).put("field1", inner_value).put("field2", "v2").put("field3", "v3")
    record = source_record(Headers().add("header1", "existing-value", STRING_SCHEMA),
                           **{side: value, f"{side}_schema": schema})
    transformed = configured(cls, "field1,field2,field3", "inserted1,inserted2,inserted2", operation).apply(record)
    assert as_tuples(transformed.headers) == [
        ("header1", "existing-value", STRING_SCHEMA), ("inserted1", inner_value, inner),
        ("inserted2", "v2", STRING_SCHEMA), ("inserted2", "v3", STRING_SCHEMA)]
    if operation == "move":
        assert getattr(transformed, f"{side}_schema") == SchemaBuilder.struct().build()
    else:
        assert getattr(transformed, side) == value
