"""dbconnect.transforms.base: what every built-in transform shares."""

from __future__ import annotations

import pytest

from dbconnect.api.data import SchemaBuilder, Struct, Type
from dbconnect.api.errors import DataError
from dbconnect.api.records import SinkRecord, SourceRecord
from dbconnect.transforms.base import (
    KeyOrValueTransformation, copy_schema_basics, key_and_value_variants, require_map, require_sink_record,
    require_struct,
)


class Upper(KeyOrValueTransformation):
    """Upper-cases one side."""

    def apply(self, record):
        return self.new_record(record, self.operating_schema(record), self.operating_value(record).upper())


UpperKey, UpperValue = key_and_value_variants(Upper)


def test_variants_work_on_their_own_side_and_answer_to_kafkas_names():
    record = SourceRecord(None, None, "t", value="v", key="k")
    assert UpperKey().apply(record).key == "K" and UpperKey().apply(record).value == "v"
    assert UpperValue().apply(record).value == "V" and UpperValue().apply(record).key == "k"
    assert UpperKey.aliases == ("org.apache.kafka.connect.transforms.Upper$Key", "Upper$Key")
    assert UpperValue.__qualname__ == "UpperValue" and UpperValue.__module__ == __name__


@pytest.mark.parametrize("schema", [
    SchemaBuilder.array(SchemaBuilder.int32().build()).name("a").version(2).doc("d").build(),
    SchemaBuilder.map(SchemaBuilder.string().build(), SchemaBuilder.int64().build()).name("m").build(),
    SchemaBuilder.struct().name("s").parameter("p", "1").build(),
    SchemaBuilder.string().name("x").build(),
])
def test_copy_schema_basics_keeps_the_metadata_and_what_a_container_holds(schema):
    copied = copy_schema_basics(schema).build()
    assert (copied.type, copied.name, copied.version, copied.doc, copied.parameters) == (
        schema.type, schema.name, schema.version, schema.doc, schema.parameters)
    if schema.type is Type.ARRAY:
        assert copied.value_schema == schema.value_schema
    if schema.type is Type.MAP:
        assert (copied.key_schema, copied.value_schema) == (schema.key_schema, schema.value_schema)


def test_requirements_use_kafkas_messages():
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for \[x\], found: int"):
        require_map(1, "x")
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[x\], found: null"):
        require_struct(None, "x")
    with pytest.raises(DataError, match=r"Only SinkRecord supported for \[x\], found: SourceRecord"):
        require_sink_record(SourceRecord(None, None, "t"), "x")
    struct = Struct(SchemaBuilder.struct().field("a", SchemaBuilder.int32().build()).build())
    assert require_struct(struct, "x") is struct
    sink = SinkRecord("t", 0, None, None, None, None, 0)
    assert require_sink_record(sink, "x") is sink
