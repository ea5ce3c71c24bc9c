"""TimestampConverter, TimestampRouter, HeaderFrom and InsertHeader between real JsonConverters, as a
sink task runs them (JSON bytes → converter → transforms) and a source task hands their output on
(transforms → converter → bytes): what they build must be what Kafka's JsonConverter writes."""

from __future__ import annotations

import json

import pytest

from dbconnect.api.records import SinkRecord
from dbconnect.converters.json import JsonConverter
from dbconnect.transforms.header_from import HeaderFromValue
from dbconnect.transforms.insert_header import InsertHeader
from dbconnect.transforms.timestamp_converter import TimestampConverterValue
from dbconnect.transforms.timestamp_router import TimestampRouter

ENVELOPE = {
    "schema": {"type": "struct", "name": "shop.Event", "optional": False, "fields": [
        {"field": "id", "type": "int64", "optional": False},
        {"field": "occurred_at", "type": "string", "optional": True},
        {"field": "tenant", "type": "string", "optional": True}]},
    "payload": {"id": 7, "occurred_at": "2017-01-03 06:30:01.864", "tenant": "acme"},
}


def converter(schemas: bool) -> JsonConverter:
    c = JsonConverter()
    c.configure({"schemas.enable": str(schemas).lower()}, is_key=False)
    return c


def chain():
    steps = [
        (TimestampConverterValue(), {"field": "occurred_at", "target.type": "Timestamp",
                                     "format": "yyyy-MM-dd HH:mm:ss.SSS"}),
        (HeaderFromValue(), {"fields": "tenant", "headers": "tenant", "operation": "move"}),
        (InsertHeader(), {"header": "version", "value.literal": "2"}),
        (TimestampRouter(), {"topic.format": "${topic}_${timestamp}", "timestamp.format": "yyyy_MM"}),
    ]
    for transform, config in steps:
        transform.configure(config)
    return [t for t, _ in steps]


@pytest.mark.parametrize("schemas", [True, False])
def test_a_sink_chain_between_json_converters(schemas):
    conv = converter(schemas)
    raw = json.dumps(ENVELOPE if schemas else ENVELOPE["payload"]).encode()
    read = conv.to_connect_data("events", raw)
    record = SinkRecord("events", 0, None, None, read.schema, read.value, 0, timestamp=1483425001864)
    for transform in chain():
        record = transform.apply(record)
    assert record.topic == "events_2017_01"
    assert [(h.key, h.value) for h in record.headers] == [("tenant", "acme"), ("version", 2)]
    written = json.loads(conv.from_connect_data(record.topic, record.value_schema, record.value))
    if schemas:
        assert written["schema"]["fields"] == [
            {"field": "id", "type": "int64", "optional": False},
            {"field": "occurred_at", "type": "int64", "optional": True,
             "name": "org.apache.kafka.connect.data.Timestamp", "version": 1}]
        assert written["schema"]["name"] == "shop.Event"
        assert written["payload"] == {"id": 7, "occurred_at": 1483425001864}
    else:
        # Without a schema the Timestamp is a datetime, which dbconnect's JsonConverter writes as its
        # milliseconds (Kafka's refuses a java.util.Date that has no schema).
        assert written == {"id": 7, "occurred_at": 1483425001864}


def test_header_schemas_survive_the_json_converter():
    conv = converter(True)
    read = conv.to_connect_data("events", json.dumps(ENVELOPE).encode())
    record = SinkRecord("events", 0, None, None, read.schema, read.value, 0, timestamp=0)
    for transform in chain():
        record = transform.apply(record)
    tenant, version = record.headers
    assert json.loads(conv.from_connect_data("events", tenant.schema, tenant.value)) == \
        {"schema": {"type": "string", "optional": True}, "payload": "acme"}
    assert json.loads(conv.from_connect_data("events", version.schema, version.value)) == \
        {"schema": {"type": "int8", "optional": False}, "payload": 2}
