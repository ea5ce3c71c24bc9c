"""The smt-a transforms on the source path against real PostgreSQL and MariaDB: rows polled by
JdbcSourceTask, then Cast, MaskField, ReplaceField, InsertField and SetSchemaMetadata, then
Kafka's JsonConverter, each stage called directly in the order the worker calls them (poll →
transforms → converter). The records keep their source partition and offset (what the worker
commits) through the transforms; the same transforms in a real worker: test_transforms_smt_a_worker.py.
"""

from __future__ import annotations

import json
import time

import pytest

from dbconnect.connectors.jdbc.source import JdbcSourceConnector, JdbcSourceTask
from dbconnect.converters.json import JsonConverter
from dbconnect.transforms.cast import CastValue
from dbconnect.transforms.insert_field import InsertFieldValue
from dbconnect.transforms.mask_field import MaskFieldValue
from dbconnect.transforms.replace_field import ReplaceFieldValue
from dbconnect.transforms.set_schema_metadata import SetSchemaMetadataValue

from .jdbc_helpers import Db, db  # noqa: F401

pytestmark = pytest.mark.integration


def configured(cls, configs):
    transform = cls()
    transform.configure(configs)
    return transform


def poll_rows(task: JdbcSourceTask, n: int, timeout: float = 30.0) -> list:
    records, deadline = [], time.monotonic() + timeout
    while len(records) < n and time.monotonic() < deadline:
        records += task.poll() or []
    assert len(records) == n, records
    return records


def test_a_tutorial_chain_after_the_jdbc_source(db: Db):
    db.execute(f"CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, amount NUMERIC(10,2) NOT NULL, "
               f"updated_at {db.ts_type} NOT NULL, email VARCHAR(80), note VARCHAR(80))")
    db.execute("INSERT INTO orders VALUES (1, 12.50, '2024-05-06 07:08:09.123', 'ada@example.com', 'x'), "
               "(2, 3.00, '2024-05-07 00:00:00', NULL, NULL)")
    config = db.config(mode="incrementing", **{"incrementing.column.name": "id", "table.whitelist": "orders",
                                                "topic.prefix": "shop-"})
    connector = JdbcSourceConnector()
    connector.start(config)
    try:
        [task_config] = connector.task_configs(1)
    finally:
        connector.stop()
    task = JdbcSourceTask()
    task.start(task_config)
    try:
        polled = poll_rows(task, 2)
    finally:
        task.stop()

    chain = [
        configured(CastValue, {"spec": "amount:float64,updated_at:string,id:int64"}),
        configured(MaskFieldValue, {"fields": "email"}),
        configured(ReplaceFieldValue, {"exclude": "note", "renames": "id:order_id"}),
        configured(InsertFieldValue, {"topic.field": "source_topic", "static.field": "origin",
                                      "static.value": "shop-db"}),
        configured(SetSchemaMetadataValue, {"schema.name": "com.example.Order", "schema.version": "3"}),
    ]
    converter = JsonConverter()
    converter.configure({"schemas.enable": "true"}, is_key=False)
    written = []
    for original in polled:
        record = original
        for transform in chain:
            record = transform.apply(record)
        assert (record.source_partition, record.source_offset) == (original.source_partition, original.source_offset)
        assert record.topic == "shop-orders"
        written.append(json.loads(converter.from_connect_data(record.topic, record.value_schema, record.value)))

    assert [w["payload"] for w in written] == [
        {"order_id": 1, "amount": 12.5, "updated_at": "2024-05-06T07:08:09.123Z", "email": "",
         "source_topic": "shop-orders", "origin": "shop-db"},
        {"order_id": 2, "amount": 3.0, "updated_at": "2024-05-07", "email": None,  # midnight: Kafka's date format
         "source_topic": "shop-orders", "origin": "shop-db"},
    ]
    schema = written[0]["schema"]
    assert (schema["name"], schema["version"]) == ("com.example.Order", 3)
    assert [(f["field"], f["type"], f["optional"]) for f in schema["fields"]] == [
        ("order_id", "int64", False), ("amount", "double", False), ("updated_at", "string", False),
        ("email", "string", True), ("source_topic", "string", True), ("origin", "string", True)]
