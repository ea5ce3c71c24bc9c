"""SetSchemaMetadata$Key / $Value against the cases of Kafka's SetSchemaMetadataTest and its documentation."""

from __future__ import annotations

import pytest

from dbconnect.api.data import INT32_SCHEMA, INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct, Type
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.transforms.set_schema_metadata import SetSchemaMetadataKey, SetSchemaMetadataValue

from .samples import make, on_side, operated, sink

SIDES = [(SetSchemaMetadataKey, "key"), (SetSchemaMetadataValue, "value")]
EMPTY_STRUCT = SchemaBuilder.struct().build()


@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("configs, name, version", [
    ({"schema.name": "foo"}, "foo", None),
    ({"schema.version": "42"}, None, 42),
    ({"schema.name": "foo", "schema.version": "42"}, "foo", 42),
])
def test_name_and_version(cls, side, configs, name, version):
    schema = operated(make(cls, configs).apply(on_side(side, EMPTY_STRUCT, Struct(EMPTY_STRUCT), record=sink)), side)[0]
    assert (schema.name, schema.version) == (name, version)


@pytest.mark.parametrize("cls, side", SIDES)
def test_struct_is_rebuilt_on_the_new_schema(cls, side):
    original = SchemaBuilder.struct().name("my.orig.SchemaDefn").doc("d").field("f1", STRING_SCHEMA) \
        .field("f2", INT32_SCHEMA).build()
    value = Struct(original).put("f1", "value1").put("f2", 1)
    schema, updated = operated(make(cls, {"schema.name": "foo", "schema.version": "42"})
                               .apply(on_side(side, original, value)), side)
    assert (schema.name, schema.version, schema.doc) == ("foo", 42, "d")
    assert updated.schema is schema and updated.get("f1") == "value1" and updated.get("f2") == 1
    assert schema.fields == original.fields


@pytest.mark.parametrize("replace, expected", [(True, 42), (False, None)])
def test_replace_null_with_default(replace, expected):
    original = SchemaBuilder.struct().field("f1", SchemaBuilder.int32().optional().default_value(42)) \
        .field("f2", INT32_SCHEMA).build()
    value = Struct(original).put("f1", None).put("f2", 1)
    updated = make(SetSchemaMetadataValue, {"schema.name": "foo", "replace.null.with.default": str(replace)}) \
        .apply(on_side("value", original, value)).value
    assert updated.get_without_default("f1") == expected


@pytest.mark.parametrize("cls, side", SIDES)
def test_non_struct_values_keep_their_value(cls, side):
    schema, value = operated(make(cls, {"schema.name": "foo"}).apply(on_side(side, INT64_SCHEMA, 7)), side)
    assert schema.type is Type.INT64 and schema.name == "foo" and value == 7


def test_array_and_map_keep_their_element_schemas():
    array = SchemaBuilder.array(STRING_SCHEMA).build()
    schema = make(SetSchemaMetadataValue, {"schema.version": "3"}).apply(on_side("value", array, ["a"])).value_schema
    assert schema.value_schema == STRING_SCHEMA and schema.version == 3
    mapping = SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()
    schema = make(SetSchemaMetadataValue, {"schema.version": "3"}).apply(on_side("value", mapping, {})).value_schema
    assert (schema.key_schema, schema.value_schema) == (STRING_SCHEMA, INT32_SCHEMA)


@pytest.mark.parametrize("cls, side", SIDES)
def test_a_schema_is_required(cls, side):
    with pytest.raises(DataError, match=r"Schema required for \[updating schema metadata\]"):
        make(cls, {"schema.name": "foo"}).apply(on_side(side, None, {"a": 1}))


@pytest.mark.parametrize("cls, side", SIDES)
def test_null_without_schema_passes_through(cls, side):
    record = on_side(side, None, None)
    assert make(cls, {"schema.name": "foo"}).apply(record) is record


@pytest.mark.parametrize("cls, side", SIDES)
def test_null_with_schema_gets_the_new_schema(cls, side):
    optional = SchemaBuilder.struct().optional().build()
    schema, value = operated(make(cls, {"schema.name": "foo"}).apply(on_side(side, optional, None)), side)
    assert schema.name == "foo" and schema.optional and value is None


@pytest.mark.parametrize("configs, message", [
    ({}, "Neither schema name nor version configured"),
    ({"schema.version": "x"}, "Invalid value x for configuration schema.version: Not a number of type INT"),
])
def test_bad_configs(configs, message):
    with pytest.raises(ConfigError, match=message):
        make(SetSchemaMetadataValue, configs)
