"""Kafka's ``org.apache.kafka.connect.transforms.Filter``: drops every record.

Useful only with a predicate (``transforms.x.predicate``, ``transforms.x.negate``), which the
chain applies: the transformation itself drops whatever reaches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.records import ConnectRecord
from dbconnect.api.transformation import Transformation

from .base import kafka_names, load_definition, parse_config

__all__ = ["Filter"]


class Filter(Transformation):
    """Drops all records, filtering them from subsequent transformations in the chain."""

    aliases = kafka_names("Filter")

    def configure(self, configs: Mapping[str, Any]) -> None:
        parse_config(self.config(), configs)

    def apply(self, record: ConnectRecord) -> None:
        return None

    def config(self) -> ConfigDefinition:
        return load_definition("filter")
