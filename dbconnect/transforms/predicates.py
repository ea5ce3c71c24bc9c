"""Kafka's predicates (``org.apache.kafka.connect.transforms.predicates``): TopicNameMatches,
HasHeaderKey, RecordIsTombstone. ``negate`` is the chain's business (``transforms.x.negate``),
not the predicate's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.records import ConnectRecord
from dbconnect.api.transformation import Predicate

from .base import KAFKA_PREDICATES, kafka_names, load_definition, parse_config
from .java_regex import compile_java

__all__ = ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone", "BUILTIN_PREDICATES"]


class TopicNameMatches(Predicate):
    """True for records whose topic name matches ``pattern`` (a Java regular expression) entirely."""

    aliases = kafka_names("TopicNameMatches", KAFKA_PREDICATES)

    def configure(self, configs: Mapping[str, Any]) -> None:
        # The definition refuses an empty or invalid pattern with Kafka's messages.
        self.pattern = compile_java(parse_config(self.config(), configs)["pattern"])

    def test(self, record: ConnectRecord) -> bool:
        return record.topic is not None and self.pattern.fullmatch(record.topic) is not None

    def config(self) -> ConfigDefinition:
        return load_definition("topic-name-matches")

    def __repr__(self) -> str:
        return f"TopicNameMatches{{pattern={getattr(self, 'pattern', None) and self.pattern.pattern}}}"


class HasHeaderKey(Predicate):
    """True for records with at least one header named ``name``."""

    aliases = kafka_names("HasHeaderKey", KAFKA_PREDICATES)

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.name = parse_config(self.config(), configs)["name"]

    def test(self, record: ConnectRecord) -> bool:
        return any(header.key == self.name for header in record.headers or ())

    def config(self) -> ConfigDefinition:
        return load_definition("has-header-key")

    def __repr__(self) -> str:
        return f"HasHeaderKey{{name='{getattr(self, 'name', None)}'}}"


class RecordIsTombstone(Predicate):
    """True for records which are tombstones (a null value)."""

    aliases = kafka_names("RecordIsTombstone", KAFKA_PREDICATES)

    def configure(self, configs: Mapping[str, Any]) -> None:
        parse_config(self.config(), configs)

    def test(self, record: ConnectRecord) -> bool:
        return record.value is None

    def config(self) -> ConfigDefinition:
        return load_definition("record-is-tombstone")

    def __repr__(self) -> str:
        return "RecordIsTombstone{}"


BUILTIN_PREDICATES: tuple[type, ...] = (TopicNameMatches, HasHeaderKey, RecordIsTombstone)
