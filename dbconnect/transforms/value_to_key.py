"""ValueToKey: Kafka's ``org.apache.kafka.connect.transforms.ValueToKey``.

Replaces the record's key with some fields of its value: with a value schema, a Struct of those
fields (its schema built once per value schema and cached, as Kafka's LRU cache of 16 does); without
one, a map of them (a missing field maps to null). The value is left as it is. With a schema, a
field the value does not have fails the record with ``Field does not exist: <field>``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from dbconnect.api.data import Schema, SchemaBuilder, Struct
from dbconnect.api.errors import DataError
from dbconnect.api.records import ConnectRecord
from dbconnect.api.transformation import Transformation

from .base import kafka_names, load_definition, parse_config, require_map, require_struct

__all__ = ["ValueToKey"]

PURPOSE = "copying fields from value to key"
SCHEMA_CACHE_SIZE = 16  # Kafka's LRUCache<>(16)


class ValueToKey(Transformation):
    """Replace the record key with a new key formed from a subset of fields in the record value."""

    aliases = kafka_names("ValueToKey")

    def config(self):
        return load_definition("value-to-key")

    def configure(self, configs: Mapping[str, Any]) -> None:
        parsed = parse_config(self.config(), configs)
        self.fields: list[str] = list(parsed["fields"])
        self.replace_null_with_default: bool = parsed["replace.null.with.default"]
        self._key_schemas: OrderedDict[Schema, Schema] = OrderedDict()

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        if record.value_schema is None:
            value = require_map(record.value, PURPOSE)
            return record.new_record(key_schema=None, key={name: value.get(name) for name in self.fields})
        struct = require_struct(record.value, PURPOSE)
        key_schema = self._key_schema(struct.schema)
        key = Struct(key_schema)
        read = struct.get if self.replace_null_with_default else struct.get_without_default
        for name in self.fields:
            key.put(name, read(name))
        return record.new_record(key_schema=key_schema, key=key, value_schema=struct.schema)

    def _key_schema(self, value_schema: Schema) -> Schema:
        cache = self._key_schemas
        found = cache.get(value_schema)
        if found is not None:
            cache.move_to_end(value_schema)
            return found
        builder = SchemaBuilder.struct()
        for name in self.fields:
            field = value_schema.field(name)
            if field is None:
                raise DataError(f"Field does not exist: {name}")
            builder.field(name, field.schema)
        built = cache[value_schema] = builder.build()
        if len(cache) > SCHEMA_CACHE_SIZE:
            cache.popitem(last=False)
        return built

    def close(self) -> None:
        self._key_schemas = OrderedDict()
