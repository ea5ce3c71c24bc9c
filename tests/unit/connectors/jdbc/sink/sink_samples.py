"""Sample configs, records and plans shared by the JDBC sink's unit tests."""

from __future__ import annotations

from typing import Any

from dbconnect.api.data import INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct
from dbconnect.api.records import SinkRecord
from dbconnect.connectors.jdbc.sink.config import parse_config

URL = "jdbc:postgresql://db.example:5432/shop"
VALUE = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).field(
    "note", SchemaBuilder.string().optional().default_value("none").build()).build()
KEY = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("region", STRING_SCHEMA).build()


def cfg(**props: str):
    return parse_config({"connection.url": URL, "name": "c", **props})


def rec(offset: int, value: Any = None, key: Any = None, key_schema=None, value_schema=VALUE, topic: str = "t"):
    return SinkRecord(topic, 0, key_schema, key, value_schema, value, offset)


def val(i: int, name: str = "n", note: str | None = "x") -> Struct:
    return Struct(VALUE).put("id", i).put("name", f"{name}{i}").put("note", note)


class FakePlan:
    def __init__(self, table: str) -> None:
        self.table = table
