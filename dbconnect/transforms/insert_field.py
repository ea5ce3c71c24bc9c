"""InsertField$Key / InsertField$Value: Kafka's ``org.apache.kafka.connect.transforms.InsertField``.

Adds the record's topic, partition, offset (sink records only) and timestamp, and/or a static
string, as fields of a Struct (schema) or a map (schemaless). A field name ending in ``!`` is a
required field of the new schema, ``?`` (or no suffix) an optional one. A null key or value
(a tombstone) passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from dbconnect.api.data import (
    INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_INT32_SCHEMA, OPTIONAL_INT64_SCHEMA, OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA, Schema, SchemaBuilder, Timestamp,
)
from dbconnect.api.errors import ConfigError
from dbconnect.api.records import ConnectRecord

from .base import (
    KeyOrValueTransformation, copy_schema_basics, key_and_value_variants, load_definition, parse_config,
    require_map, require_sink_record, require_struct,
)
from .support import SchemaCache, struct_from, struct_values

__all__ = ["InsertField", "InsertFieldKey", "InsertFieldValue"]

PURPOSE = "field insertion"


class InsertionSpec(NamedTuple):
    name: str
    optional: bool

    @staticmethod
    def parse(spec: str | None) -> "InsertionSpec | None":
        if spec is None:
            return None
        if spec.endswith("?"):
            return InsertionSpec(spec[:-1], True)
        if spec.endswith("!"):
            return InsertionSpec(spec[:-1], False)
        return InsertionSpec(spec, True)


class InsertField(KeyOrValueTransformation):
    """Insert field(s) using attributes from the record metadata or a configured static value."""

    def config(self):
        return load_definition("insert-field")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.topic_field = InsertionSpec.parse(config["topic.field"])
        self.partition_field = InsertionSpec.parse(config["partition.field"])
        self.offset_field = InsertionSpec.parse(config["offset.field"])
        self.timestamp_field = InsertionSpec.parse(config["timestamp.field"])
        self.static_field = InsertionSpec.parse(config["static.field"])
        self.static_value = config["static.value"]
        self.replace_null_with_default = config["replace.null.with.default"]
        if not any((self.topic_field, self.partition_field, self.offset_field, self.timestamp_field,
                    self.static_field)):
            raise ConfigError("No field insertion configured")
        if self.static_field is not None and self.static_value is None:
            message = (f"Invalid value null for configuration static.value: "
                       f"No value specified for static field: {self.static_field.name}")
            raise ConfigError(message, {"static.value": [message]})
        self._cache = SchemaCache()

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        value = self.operating_value(record)
        if value is None:
            return record
        if self.operating_schema(record) is None:
            return self._apply_schemaless(record, value)
        return self._apply_with_schema(record, value)

    def _inserted(self, record: ConnectRecord, logical_timestamp: bool) -> list[tuple[str, Any]]:
        """(name, value) of each configured insertion, in Kafka's order (that of the new schema's
        fields); the value is None where Kafka inserts nothing (no partition, no timestamp)."""
        out = []
        if self.topic_field is not None:
            out.append((self.topic_field.name, record.topic))
        if self.partition_field is not None:
            out.append((self.partition_field.name, record.partition))
        if self.offset_field is not None:
            out.append((self.offset_field.name, require_sink_record(record, PURPOSE).kafka_offset))
        if self.timestamp_field is not None:
            ts = record.timestamp
            out.append((self.timestamp_field.name,
                        Timestamp.to_logical(None, ts) if logical_timestamp and ts is not None else ts))
        if self.static_field is not None:
            out.append((self.static_field.name, self.static_value))
        return out

    def _apply_schemaless(self, record: ConnectRecord, value: Any) -> ConnectRecord:
        updated = dict(require_map(value, PURPOSE))
        updated.update((name, v) for name, v in self._inserted(record, False) if v is not None)
        return self.new_record(record, None, updated)

    def _apply_with_schema(self, record: ConnectRecord, value: Any) -> ConnectRecord:
        struct = require_struct(value, PURPOSE)
        schema = self._cache.get_or_build(struct.schema, self._updated_schema)
        values = struct_values(struct, self.replace_null_with_default)
        copied = len(values)
        # The inserted values have their fields' types; an absent one stays null, as Kafka leaves it.
        values += [v for _, v in self._inserted(record, True)]
        return self.new_record(record, schema, struct_from(schema, values, range(copied)))

    def _updated_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields:
            builder.field(field.name, field.schema)
        for spec, optional_schema, required_schema in (
            (self.topic_field, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA),
            (self.partition_field, OPTIONAL_INT32_SCHEMA, INT32_SCHEMA),
            (self.offset_field, OPTIONAL_INT64_SCHEMA, INT64_SCHEMA),
            (self.timestamp_field, Timestamp.OPTIONAL_SCHEMA, Timestamp.SCHEMA),
            (self.static_field, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA),
        ):
            if spec is not None:
                builder.field(spec.name, optional_schema if spec.optional else required_schema)
        return builder.build()

    def close(self) -> None:
        self._cache = None


InsertFieldKey, InsertFieldValue = key_and_value_variants(InsertField)
