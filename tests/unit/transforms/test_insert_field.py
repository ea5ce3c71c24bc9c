"""InsertField$Key / $Value against the cases of Kafka's InsertFieldTest and its documentation."""

from __future__ import annotations

import datetime as dt

import pytest

from dbconnect.api.data import (
    INT32_SCHEMA, OPTIONAL_INT32_SCHEMA, OPTIONAL_INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, INT64_SCHEMA,
    SchemaBuilder, Struct, Timestamp,
)
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.transforms.insert_field import InsertFieldKey, InsertFieldValue

from .samples import make, on_side, operated, sink, source

SIDES = [(InsertFieldKey, "key"), (InsertFieldValue, "value")]
ALL = {"topic.field": "topic_field!", "partition.field": "partition_field", "timestamp.field": "timestamp_field?",
       "static.field": "instance_id", "static.value": "my-instance-id"}
SIMPLE = SchemaBuilder.struct().name("name").version(1).doc("doc").field("magic", OPTIONAL_INT64_SCHEMA).build()


def test_kafka_names():
    assert InsertFieldValue.aliases == ("org.apache.kafka.connect.transforms.InsertField$Value", "InsertField$Value")
    assert InsertFieldKey.aliases[0] == "org.apache.kafka.connect.transforms.InsertField$Key"


@pytest.mark.parametrize("cls, side", SIDES)
def test_top_level_struct_required(cls, side):
    xform = make(cls, {"topic.field": "topic_field"})
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[field insertion\], found: int"):
        xform.apply(on_side(side, INT32_SCHEMA, 42))


@pytest.mark.parametrize("cls, side", SIDES)
def test_copies_the_schema_and_inserts_the_configured_fields(cls, side):
    xform = make(cls, ALL)
    record = on_side(side, SIMPLE, Struct(SIMPLE).put("magic", 42), timestamp=789)
    schema, value = operated(xform.apply(record), side)
    assert (schema.name, schema.version, schema.doc) == ("name", 1, "doc")
    assert schema.field("magic").schema == OPTIONAL_INT64_SCHEMA and value.get("magic") == 42
    assert schema.field("topic_field").schema == STRING_SCHEMA and value.get("topic_field") == "test"
    assert schema.field("partition_field").schema == OPTIONAL_INT32_SCHEMA and value.get("partition_field") == 0
    assert schema.field("timestamp_field").schema == Timestamp.OPTIONAL_SCHEMA
    assert value.get("timestamp_field") == dt.datetime(1970, 1, 1, 0, 0, 0, 789000, tzinfo=dt.timezone.utc)
    assert schema.field("instance_id").schema == OPTIONAL_STRING_SCHEMA
    assert value.get("instance_id") == "my-instance-id"
    assert schema.field_names == ("magic", "topic_field", "partition_field", "timestamp_field", "instance_id")
    # the other side is untouched, and the schema is built once per input schema (the cache)
    again = operated(xform.apply(on_side(side, SIMPLE, Struct(SIMPLE), partition=1)), side)[0]
    assert again is schema


@pytest.mark.parametrize("cls, side", SIDES)
def test_schemaless_inserts_the_configured_fields(cls, side):
    xform = make(cls, ALL)
    original = {"magic": 42}
    record = on_side(side, None, original, other="other", timestamp=123)
    transformed = xform.apply(record)
    assert operated(transformed, side) == (None, {"magic": 42, "topic_field": "test", "partition_field": 0,
                                                  "timestamp_field": 123, "instance_id": "my-instance-id"})
    assert original == {"magic": 42}
    assert operated(transformed, "value" if side == "key" else "key") == (None, "other")


@pytest.mark.parametrize("cls, side", SIDES)
def test_missing_partition_and_timestamp_are_left_out_schemaless_and_null_with_schema(cls, side):
    xform = make(cls, ALL)
    schemaless = operated(xform.apply(on_side(side, None, {"magic": 1}, partition=None)), side)[1]
    assert "partition_field" not in schemaless and "timestamp_field" not in schemaless
    struct = operated(xform.apply(on_side(side, SIMPLE, Struct(SIMPLE), partition=None)), side)[1]
    assert struct.get("partition_field") is None and struct.get("timestamp_field") is None


@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("schema", [None, SIMPLE])
def test_a_null_key_or_value_passes_through(cls, side, schema):
    xform = make(cls, ALL)
    record = on_side(side, schema, None, other={"magic": 42})
    assert xform.apply(record) is record


def test_key_fields_into_a_tombstone():
    xform = make(InsertFieldKey, ALL)
    transformed = xform.apply(source(key={"magic": 42}, value=None))
    assert transformed.key == {"magic": 42, "topic_field": "test", "partition_field": 0,
                               "instance_id": "my-instance-id"}
    assert transformed.value is None


@pytest.mark.parametrize("cls, side", SIDES)
def test_offset_field_on_sink_records(cls, side):
    xform = make(cls, {"offset.field": "offset!"})
    record = on_side(side, SIMPLE, Struct(SIMPLE), record=sink, offset=1234)
    schema, value = operated(xform.apply(record), side)
    assert schema.field("offset").schema == INT64_SCHEMA and value.get("offset") == 1234
    assert operated(xform.apply(on_side(side, None, {}, record=sink, offset=7)), side)[1] == {"offset": 7}


@pytest.mark.parametrize("cls, side", SIDES)
def test_offset_field_refuses_source_records(cls, side):
    xform = make(cls, {"offset.field": "offset"})
    with pytest.raises(DataError, match=r"Only SinkRecord supported for \[field insertion\], found: SourceRecord"):
        xform.apply(on_side(side, None, {"a": 1}))


@pytest.mark.parametrize("replace, expected", [(True, 42), (False, None)])
def test_replace_null_with_default(replace, expected):
    xform = make(InsertFieldValue, {**ALL, "replace.null.with.default": str(replace).lower()})
    magic = SchemaBuilder.int64().optional().default_value(42).build()
    schema = SchemaBuilder.struct().name("name").version(1).doc("doc").field("magic_with_default", magic).build()
    transformed = xform.apply(source(schema, Struct(schema).put("magic_with_default", None), timestamp=789))
    assert transformed.value_schema.field("magic_with_default").schema == magic
    assert transformed.value.get_without_default("magic_with_default") == expected


def test_required_inserted_field_without_a_value_is_left_unset_as_kafka_does():
    # Kafka puts nothing when the record has no partition: the Struct fails validation later (in the
    # converter), not in the transform.
    xform = make(InsertFieldValue, {"partition.field": "p!"})
    value = xform.apply(source(SIMPLE, Struct(SIMPLE), partition=None)).value
    assert value.schema.field("p").schema == INT32_SCHEMA and value.get("p") is None
    with pytest.raises(DataError, match='null used for required field: "p"'):
        value.validate()


@pytest.mark.parametrize("configs, message", [
    ({}, "No field insertion configured"),
    ({"topic.field": None}, "No field insertion configured"),
    ({"static.field": "x"}, "Invalid value null for configuration static.value: No value specified for static field: x"),
    ({"topic.field": "t", "replace.null.with.default": "maybe"},
     "Invalid value maybe for configuration replace.null.with.default: Expected value to be either true or false"),
])
def test_bad_configs(configs, message):
    with pytest.raises(ConfigError) as caught:
        make(InsertFieldValue, configs)
    assert message in str(caught.value)


def test_config_definition_lists_kafkas_keys():
    definition = InsertFieldValue().config()
    assert list(definition.keys) == ["topic.field", "partition.field", "offset.field", "timestamp.field",
                                     "static.field", "static.value", "replace.null.with.default"]
    assert definition.keys["replace.null.with.default"].default is True
    # static.value without static.field is Kafka's check in configure (the runtime's validate runs it)
    assert definition.validate({"static.field": "x"}) == {}
