"""Kafka's ``org.apache.kafka.connect.transforms.RegexRouter``: when ``regex`` (a Java regular
expression) matches the whole topic, the topic becomes ``Matcher.replaceFirst(replacement)``;
otherwise the record passes unchanged.

The pattern is translated to Python's ``re`` by java_regex.py (a pattern that is not valid Java,
or has no faithful translation, is refused naming ``regex``). The replacement's group references
(``$1``, ``${name}``, ``\\$`` for a dollar) are checked against the pattern when configured, so a
reference to a group that does not exist is refused naming ``replacement`` instead of failing
the first matching record, as Kafka would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.errors import ConfigError
from dbconnect.api.records import ConnectRecord
from dbconnect.api.transformation import Transformation

from .base import kafka_names, load_definition, parse_config
from .java_regex import JavaRegexError, Replacement, compile_java, replace_first

__all__ = ["RegexRouter"]


class RegexRouter(Transformation):
    """Update the record topic using the configured regular expression and replacement string."""

    aliases = kafka_names("RegexRouter")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.regex = compile_java(config["regex"])  # parse_config checked it compiles
        try:
            self.replacement = Replacement(config["replacement"], self.regex)
        except JavaRegexError as e:
            message = f"Invalid value {config['replacement']} for configuration replacement: {e}"
            raise ConfigError(message, {"replacement": [message]}) from None

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        topic = record.topic
        if topic is not None and self.regex.fullmatch(topic):
            return record.new_record(topic=replace_first(self.regex, self.replacement, topic))
        return record

    def config(self) -> ConfigDefinition:
        return load_definition("regex-router")
