"""Kafka's ``org.apache.kafka.connect.transforms.DropHeaders``: removes every header whose key is
listed in ``headers`` (all of them, when a key appears more than once)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.records import ConnectRecord, Headers
from dbconnect.api.transformation import Transformation

from .base import kafka_names, load_definition, parse_config

__all__ = ["DropHeaders"]


class DropHeaders(Transformation):
    """Removes one or more headers from each record."""

    aliases = kafka_names("DropHeaders")

    def __init__(self) -> None:
        self.headers: frozenset[str] = frozenset()

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.headers = frozenset(parse_config(self.config(), configs)["headers"])

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        kept = Headers(h for h in record.headers if h.key not in self.headers)
        return record.new_record(headers=kept)

    def config(self) -> ConfigDefinition:
        return load_definition("drop-headers")
