"""Kafka's ``org.apache.kafka.connect.transforms.TimestampRouter``: the topic becomes
``topic.format`` with ``${topic}`` replaced by the topic and ``${timestamp}`` by the record's
timestamp formatted with ``timestamp.format`` (a SimpleDateFormat pattern, in UTC; see
java_date_format.py). A record without a timestamp fails, as in Kafka."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.errors import DataError
from dbconnect.api.records import ConnectRecord
from dbconnect.api.transformation import Transformation

from .base import kafka_names, load_definition, parse_config
from .java_date_format import java_date_format

__all__ = ["TimestampRouter"]


class TimestampRouter(Transformation):
    """Update the record's topic field as a function of the original topic and the record timestamp."""

    aliases = kafka_names("TimestampRouter")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)  # checks timestamp.format translates
        self.topic_format = config["topic.format"]
        self.timestamp_format = java_date_format(config["timestamp.format"])

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        if record.timestamp is None:
            raise DataError(f"Timestamp missing on record: {record}")
        try:
            formatted = self.timestamp_format.format(record.timestamp)
        except ValueError as e:
            raise DataError(str(e)) from None
        topic = self.topic_format.replace("${topic}", record.topic).replace("${timestamp}", formatted)
        return record.new_record(topic=topic)

    def config(self) -> ConfigDefinition:
        return load_definition("timestamp-router")
