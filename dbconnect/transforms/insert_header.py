"""Kafka's ``org.apache.kafka.connect.transforms.InsertHeader``: adds the header ``header`` with
``value.literal``, parsed as Kafka's ``Values.parseString`` does (``42`` is an INT8, ``true`` a
BOOLEAN, ``[1,2]`` an ARRAY, anything else a STRING; see dbconnect/api/values.py), to every record. An
existing header of that name stays: headers are a list, the new one comes last."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.data import SchemaAndValue
from dbconnect.api.records import ConnectRecord, Headers
from dbconnect.api.transformation import Transformation

from .base import kafka_names, load_definition, parse_config
from dbconnect.api.values import parse_string

__all__ = ["InsertHeader"]


class InsertHeader(Transformation):
    """Add a header to each record."""

    aliases = kafka_names("InsertHeader")

    def __init__(self) -> None:
        self.header = ""
        self.literal = SchemaAndValue(None, None)

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.header = config["header"]
        self.literal = parse_string(config["value.literal"])

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        headers = Headers(record.headers)
        headers.add(self.header, self.literal.value, self.literal.schema)
        return record.new_record(headers=headers)

    def config(self) -> ConfigDefinition:
        return load_definition("insert-header")
