"""The transforms between real converters, as a sink task runs them (JSON bytes → converter →
transform → …) and a source task hands their output on (transform → converter → bytes): what
they build must be what Kafka's JsonConverter reads and writes."""

from __future__ import annotations

import json

import pytest

from dbconnect.api.records import SinkRecord
from dbconnect.converters.json import JsonConverter
from dbconnect.transforms.cast import CastValue
from dbconnect.transforms.flatten import FlattenValue
from dbconnect.transforms.hoist_field import HoistFieldKey
from dbconnect.transforms.insert_field import InsertFieldValue
from dbconnect.transforms.mask_field import MaskFieldValue
from dbconnect.transforms.replace_field import ReplaceFieldValue
from dbconnect.transforms.set_schema_metadata import SetSchemaMetadataValue

from .samples import make

ENVELOPE = {
    "schema": {"type": "struct", "name": "shop.Order", "optional": False, "fields": [
        {"field": "id", "type": "int64", "optional": False},
        {"field": "amount", "type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal",
         "version": 1, "parameters": {"scale": "2"}},
        {"field": "customer", "type": "struct", "optional": True, "fields": [
            {"field": "name", "type": "string", "optional": True},
            {"field": "email", "type": "string", "optional": True}]}]},
    "payload": {"id": 7, "amount": "BOI=", "customer": {"name": "Ada", "email": "ada@example.com"}},
}


def converter(schemas: bool) -> JsonConverter:
    c = JsonConverter()
    c.configure({"schemas.enable": str(schemas).lower()}, is_key=False)
    return c


def consumed(schemas: bool, value: dict) -> SinkRecord:
    """A sink record as the worker builds it from a consumed message."""
    data = converter(schemas).to_connect_data("orders", json.dumps(value).encode())
    return SinkRecord("orders", 2, None, None, data.schema, data.value, 42, timestamp=1_700_000_000_123)


def written(record: SinkRecord, schemas: bool) -> dict:
    return json.loads(converter(schemas).from_connect_data(record.topic, record.value_schema, record.value))


def chain(record, *transforms):
    for transform in transforms:
        record = transform.apply(record)
    return record


def test_flatten_cast_insert_mask_rename_with_schemas():
    record = chain(
        consumed(True, ENVELOPE),
        make(FlattenValue, {"delimiter": "_"}),
        make(CastValue, {"spec": "amount:float64,id:string"}),
        make(InsertFieldValue, {"topic.field": "topic!", "offset.field": "offset", "timestamp.field": "ts"}),
        make(MaskFieldValue, {"fields": "customer_email"}),
        make(ReplaceFieldValue, {"renames": "customer_name:name", "exclude": "customer_email"}),
        make(SetSchemaMetadataValue, {"schema.name": "shop.FlatOrder", "schema.version": "2"}),
    )
    out = written(record, True)
    assert out["payload"] == {"id": "7", "amount": 12.5, "name": "Ada", "topic": "orders", "offset": 42,
                              "ts": 1_700_000_000_123}
    schema = out["schema"]
    assert (schema["name"], schema["version"]) == ("shop.FlatOrder", 2)
    fields = {f["field"]: f for f in schema["fields"]}
    assert fields["amount"]["type"] == "double" and fields["id"]["type"] == "string"
    assert fields["topic"]["optional"] is False and fields["offset"]["type"] == "int64"
    assert fields["ts"]["name"] == "org.apache.kafka.connect.data.Timestamp"


def test_the_same_chain_schemaless():
    record = chain(
        consumed(False, ENVELOPE["payload"]),
        make(FlattenValue, {"delimiter": "_"}),
        make(CastValue, {"spec": "id:string"}),
        make(InsertFieldValue, {"topic.field": "topic", "partition.field": "partition"}),
        make(MaskFieldValue, {"fields": "customer_email", "replacement": "***"}),
        make(ReplaceFieldValue, {"include": "id,customer_email,topic,partition"}),
    )
    assert written(record, False) == {"id": "7", "customer_email": "***", "topic": "orders", "partition": 2}


@pytest.mark.parametrize("schemas", [True, False])
def test_hoisted_key_is_written(schemas):
    record = SinkRecord("orders", 0, None, None, None, None, 0)
    raw = b'{"schema": {"type": "int64"}, "payload": 7}' if schemas else b"7"
    data = converter(schemas).to_connect_data("orders", raw)
    record = record.new_record(key_schema=data.schema, key=data.value)
    hoisted = make(HoistFieldKey, {"field": "id"}).apply(record)
    out = json.loads(converter(schemas).from_connect_data("orders", hoisted.key_schema, hoisted.key))
    assert (out["payload"] if schemas else out) == {"id": 7}
