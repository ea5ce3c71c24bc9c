"""ExtractField$Key / $Value, against Kafka's ExtractFieldTest cases (V1 and V2 paths)."""

from __future__ import annotations

import pytest

from dbconnect.api.data import Schema, SchemaBuilder, Struct
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.api.records import SinkRecord
from dbconnect.transforms.extract_field import ExtractFieldKey, ExtractFieldValue


def key_transform(field="magic", **props):
    t = ExtractFieldKey()
    t.configure({"field": field, **props})
    return t


def key_record(key_schema, key):
    return SinkRecord("test", 0, key_schema, key, None, None, 0)


def test_schemaless():
    out = key_transform().apply(key_record(None, {"magic": 42}))
    assert out.key_schema is None and out.key == 42


def test_schemaless_null_key_stays_null():
    out = key_transform().apply(key_record(None, None))
    assert out.key is None and out.key_schema is None


def test_with_schema():
    schema = SchemaBuilder.struct().field("magic", Schema.INT32_SCHEMA).build()
    out = key_transform().apply(key_record(schema, Struct(schema).put("magic", 42)))
    assert out.key_schema == Schema.INT32_SCHEMA and out.key == 42


def test_with_schema_null_key_becomes_null_with_the_fields_schema():
    schema = SchemaBuilder.struct().field("magic", Schema.INT32_SCHEMA).optional().build()
    out = key_transform().apply(key_record(schema, None))
    assert out.key is None and out.key_schema == Schema.INT32_SCHEMA


def test_with_schema_unknown_field_fails():
    schema = SchemaBuilder.struct().field("magic", Schema.INT32_SCHEMA).build()
    with pytest.raises(DataError, match="Unknown field: nonexistent"):
        key_transform("nonexistent").apply(key_record(schema, Struct(schema).put("magic", 42)))


def test_schemaless_unknown_field_gives_null():
    assert key_transform("nonexistent").apply(key_record(None, {"magic": 42})).key is None


def test_value_variant_leaves_the_key():
    t = ExtractFieldValue()
    t.configure({"field": "id"})
    schema = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("name", Schema.STRING_SCHEMA).build()
    record = SinkRecord("t", 0, Schema.STRING_SCHEMA, "k", schema, Struct(schema).put("id", 7).put("name", "x"), 0)
    out = t.apply(record)
    assert (out.key_schema, out.key, out.value_schema, out.value) == (Schema.STRING_SCHEMA, "k", Schema.INT64_SCHEMA, 7)


def nested_schema():
    inner = SchemaBuilder.struct().field("magic", Schema.INT32_SCHEMA).build()
    return inner, SchemaBuilder.struct().field("inner", inner).build()


def test_v2_nested_with_schema():
    inner, outer = nested_schema()
    key = Struct(outer).put("inner", Struct(inner).put("magic", 42))
    out = key_transform("inner.magic", **{"field.syntax.version": "V2"}).apply(key_record(outer, key))
    assert out.key_schema == Schema.INT32_SCHEMA and out.key == 42


def test_v2_is_case_insensitive_and_nested_schemaless():
    out = key_transform("inner.magic", **{"field.syntax.version": "v2"}).apply(key_record(None, {"inner": {"magic": 42}}))
    assert out.key == 42


def test_v1_takes_a_dotted_name_as_one_field():
    out = key_transform("inner.magic").apply(key_record(None, {"inner.magic": 1, "inner": {"magic": 2}}))
    assert out.key == 1


def test_v2_backticks_wrap_a_name_with_dots():
    out = key_transform("`a.b`.c", **{"field.syntax.version": "V2"}).apply(key_record(None, {"a.b": {"c": 3}}))
    assert out.key == 3


def test_v2_nested_unknown_with_schema_fails():
    inner, outer = nested_schema()
    key = Struct(outer).put("inner", Struct(inner).put("magic", 42))
    with pytest.raises(DataError, match=r"Unknown field: inner\.nope"):
        key_transform("inner.nope", **{"field.syntax.version": "V2"}).apply(key_record(outer, key))


def test_null_with_default_replaced_unless_disabled():
    schema = SchemaBuilder.struct().field("magic", SchemaBuilder.int32().optional().default_value(7).build()).build()
    record = key_record(schema, Struct(schema))
    assert key_transform().apply(record).key == 7
    assert key_transform(**{"replace.null.with.default": "false"}).apply(record).key is None


def test_struct_expected_with_a_schema():
    schema = SchemaBuilder.struct().field("magic", Schema.INT32_SCHEMA).build()
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[field extraction\], found: dict"):
        key_transform().apply(key_record(schema, {"magic": 1}))


@pytest.mark.parametrize("props, message", [
    ({}, 'Missing required configuration "field" which has no default value.'),
    ({"field": "a", "field.syntax.version": "V3"},
     "Invalid value V3 for configuration field.syntax.version: String must be one of (case insensitive): V1, V2"),
    ({"field": "`a.b", "field.syntax.version": "V2"},
     "Incomplete backtick pair in path: [`a.b], consider adding a backslash before backtick at position 0 to escape it"),
])
def test_bad_configs(props, message):
    with pytest.raises(ConfigError) as info:
        ExtractFieldValue().configure(props)
    assert message in str(info.value)


def test_kafka_class_names():
    assert ExtractFieldKey.aliases[0] == "org.apache.kafka.connect.transforms.ExtractField$Key"
    assert ExtractFieldValue.aliases[0] == "org.apache.kafka.connect.transforms.ExtractField$Value"
