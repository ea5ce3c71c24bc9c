"""The smt-a transforms on the sink path against real PostgreSQL and MariaDB: JSON messages through
Kafka's JsonConverter, then the transforms a tutorial configures (Flatten, Cast, ReplaceField,
MaskField, InsertField with the Kafka coordinates, HoistField on a primitive key), then
JdbcSinkTask.put with auto.create, each stage called directly in the order the worker calls them
(converter → transforms → put), so that a wrong column comes from the transforms alone; the same
transforms in a real worker: test_transforms_smt_a_worker.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
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

from .jdbc_helpers import Db, db  # noqa: F401
from .test_jdbc_sink import Sink, rows

pytestmark = pytest.mark.integration

SCHEMA = {"type": "struct", "name": "shop.Order", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "amount", "type": "bytes", "optional": False, "name": "org.apache.kafka.connect.data.Decimal",
     "version": 1, "parameters": {"scale": "2"}},
    {"field": "quantity", "type": "string", "optional": True},
    {"field": "notes", "type": "string", "optional": True},
    {"field": "customer", "type": "struct", "optional": True, "fields": [
        {"field": "name", "type": "string", "optional": False},
        {"field": "email", "type": "string", "optional": True},
        {"field": "address", "type": "struct", "optional": True, "fields": [
            {"field": "city", "type": "string", "optional": True}]}]}]}
TIMESTAMP = 1_717_000_000_123  # 2024-05-29T16:26:40.123Z


def message(i: int, customer: dict | None) -> bytes:
    amount = int(decimal.Decimal(f"{i}.25") * 100).to_bytes(4, "big", signed=True)
    payload = {"id": i, "amount": base64.b64encode(amount).decode(), "quantity": str(i * 10),
               "notes": "internal", "customer": customer}
    return json.dumps({"schema": SCHEMA, "payload": payload}).encode()


def consumed(converter: JsonConverter, key_converter: JsonConverter, offset: int, value: bytes) -> SinkRecord:
    """What the sink task's consumer loop builds from a message: both sides through the converters."""
    key = key_converter.to_connect_data("orders", str(offset + 100).encode())
    data = converter.to_connect_data("orders", value)
    return SinkRecord("orders", 3, key.schema, key.value, data.schema, data.value, offset, timestamp=TIMESTAMP)


def configured(cls, configs):
    transform = cls()
    transform.configure(configs)
    return transform


def test_a_tutorial_chain_before_the_jdbc_sink(db: Db):
    value_converter, key_converter = JsonConverter(), JsonConverter()
    value_converter.configure({"schemas.enable": "true"}, is_key=False)
    key_converter.configure({"schemas.enable": "false"}, is_key=True)
    chain = [
        configured(HoistFieldKey, {"field": "order_key"}),
        configured(FlattenValue, {"delimiter": "_"}),
        configured(CastValue, {"spec": "quantity:int32,amount:float64"}),
        configured(ReplaceFieldValue, {"exclude": "notes", "renames": "customer_address_city:city"}),
        configured(MaskFieldValue, {"fields": "customer_email", "replacement": "hidden@example.com"}),
        configured(InsertFieldValue, {"topic.field": "kafka_topic!", "partition.field": "kafka_partition",
                                      "offset.field": "kafka_offset!", "timestamp.field": "kafka_ts"}),
    ]
    messages = [message(1, {"name": "Ada", "email": "ada@example.com", "address": {"city": "London"}}),
                message(2, None),  # a null nested struct: its flattened columns are NULL
                message(3, {"name": "Grace", "email": None, "address": None})]
    records = []
    for offset, raw in enumerate(messages):
        record = consumed(value_converter, key_converter, offset, raw)
        for transform in chain:
            record = transform.apply(record)
        records.append(record)

    sink = Sink(db, **{"pk.mode": "record_key", "insert.mode": "upsert"})
    sink.put(*records)
    sink.commit()
    sink.stop()

    columns = [c for (c,) in db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'"
        + ("" if db.pg else " AND table_schema = DATABASE()") + " ORDER BY ordinal_position")]
    assert columns == ["order_key", "id", "amount", "quantity", "customer_name", "customer_email", "city",
                       "kafka_topic", "kafka_partition", "kafka_offset", "kafka_ts"]
    got = [dict(zip(columns, row)) for row in rows(db, order_by="order_key")]
    at = dt.datetime(2024, 5, 29, 16, 26, 40, 123000)  # UTC wall clock
    assert got == [
        {"order_key": 100, "id": 1, "amount": 1.25, "quantity": 10, "customer_name": "Ada",
         "customer_email": "hidden@example.com", "city": "London", "kafka_topic": "orders", "kafka_partition": 3,
         "kafka_offset": 0, "kafka_ts": at},
        {"order_key": 101, "id": 2, "amount": 2.25, "quantity": 20, "customer_name": None, "customer_email": None,
         "city": None, "kafka_topic": "orders", "kafka_partition": 3, "kafka_offset": 1, "kafka_ts": at},
        {"order_key": 102, "id": 3, "amount": 3.25, "quantity": 30, "customer_name": "Grace",
         "customer_email": None, "city": None, "kafka_topic": "orders", "kafka_partition": 3, "kafka_offset": 2,
         "kafka_ts": at},
    ]
    nullable = dict(db.execute(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'orders'"
        + ("" if db.pg else " AND table_schema = DATABASE()")))
    # "!" made the topic and offset required: NOT NULL columns; the rest optional
    assert nullable["kafka_topic"] == "NO" and nullable["kafka_offset"] == "NO"
    assert nullable["kafka_partition"] == "YES" and nullable["customer_name"] == "YES"
