"""ValueToKey, against Kafka's ValueToKeyTest cases and documented behaviour."""

from __future__ import annotations

import pytest

from dbconnect.api.data import Schema, SchemaBuilder, Struct
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.api.records import SinkRecord, SourceRecord
from dbconnect.transforms.value_to_key import ValueToKey


def make(**props):
    t = ValueToKey()
    t.configure({"fields": "a,b", **props})
    return t


def test_schemaless_key_is_a_map_of_the_fields():
    record = SinkRecord("t", 0, None, None, None, {"a": 1, "b": 2, "c": 3}, 0)
    out = make().apply(record)
    assert out.key == {"a": 1, "b": 2}
    assert out.key_schema is None
    assert out.value == {"a": 1, "b": 2, "c": 3}


def test_schemaless_missing_field_maps_to_null():
    out = make().apply(SinkRecord("t", 0, None, None, None, {"a": 1}, 0))
    assert out.key == {"a": 1, "b": None}


def test_with_schema_key_is_a_struct_of_the_fields_with_their_schemas():
    value_schema = (SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.INT32_SCHEMA)
                    .field("c", Schema.INT32_SCHEMA).build())
    value = Struct(value_schema).put("a", 1).put("b", 2).put("c", 3)
    out = make().apply(SinkRecord("t", 0, None, None, value_schema, value, 0))
    expected_schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.INT32_SCHEMA).build()
    assert out.key_schema == expected_schema
    assert out.key == Struct(expected_schema).put("a", 1).put("b", 2)
    assert out.value is value and out.value_schema == value_schema


def test_with_schema_the_key_schema_is_cached_per_value_schema():
    value_schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.STRING_SCHEMA).build()
    t = make()
    first = t.apply(SinkRecord("t", 0, None, None, value_schema, Struct(value_schema).put("a", 1).put("b", "x"), 0))
    second = t.apply(SinkRecord("t", 0, None, None, value_schema, Struct(value_schema).put("a", 2).put("b", "y"), 1))
    assert first.key_schema is second.key_schema


def test_with_schema_a_missing_field_fails_the_record():
    value_schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    with pytest.raises(DataError, match="Field does not exist: b"):
        make().apply(SinkRecord("t", 0, None, None, value_schema, Struct(value_schema).put("a", 1), 0))


def test_null_with_default_replaced_unless_disabled():
    field_schema = SchemaBuilder.int32().optional().default_value(42).build()
    value_schema = SchemaBuilder.struct().field("a", field_schema).build()
    record = SinkRecord("t", 0, None, None, value_schema, Struct(value_schema), 0)
    t = ValueToKey()
    t.configure({"fields": "a"})
    assert t.apply(record).key.get_without_default("a") == 42
    t.configure({"fields": "a", "replace.null.with.default": "false"})
    assert t.apply(record).key.get_without_default("a") is None


def test_source_records_keep_their_offsets():
    record = SourceRecord({"p": 1}, {"o": 2}, "t", value={"a": 1, "b": 2})
    out = make().apply(record)
    assert (out.source_partition, out.source_offset, out.key) == ({"p": 1}, {"o": 2}, {"a": 1, "b": 2})


def test_non_map_value_without_schema_is_refused_with_kafkas_message():
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for "
                                        r"\[copying fields from value to key\], found: str"):
        make().apply(SinkRecord("t", 0, None, None, None, "text", 0))


@pytest.mark.parametrize("props, message", [
    ({}, 'Missing required configuration "fields" which has no default value.'),
    ({"fields": ""}, "Invalid value [] for configuration fields: Empty list"),
])
def test_bad_configs(props, message):
    with pytest.raises(ConfigError) as info:
        ValueToKey().configure(props)
    assert message in str(info.value)


def test_found_by_kafkas_class_name():
    assert "org.apache.kafka.connect.transforms.ValueToKey" in ValueToKey.aliases
