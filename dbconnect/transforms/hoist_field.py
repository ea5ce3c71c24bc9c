"""HoistField$Key / HoistField$Value: Kafka's ``org.apache.kafka.connect.transforms.HoistField``.

Wraps the key or value in a Struct of one field, ``field``, when it has a schema, or in a map of
one entry without one. A null key or value is wrapped too (``{"field": null}``), as in Kafka.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.data import Schema, SchemaBuilder, Struct, validate_value
from dbconnect.api.records import ConnectRecord

from .base import KeyOrValueTransformation, key_and_value_variants, load_definition, parse_config
from .support import SchemaCache

__all__ = ["HoistField", "HoistFieldKey", "HoistFieldValue"]


class HoistField(KeyOrValueTransformation):
    """Wrap data using the specified field name in a Struct when schema present, or a Map in the
    case of schemaless data."""

    def config(self):
        return load_definition("hoist-field")

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.field_name = parse_config(self.config(), configs)["field"]
        self._cache = SchemaCache()

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            return self.new_record(record, None, {self.field_name: value})
        updated_schema = self._cache.get_or_build(schema, self._updated_schema)
        # Kafka's put validates the value against its schema; a Struct already built on that very
        # schema object is not walked again field by field.
        if not (isinstance(value, Struct) and value.schema is schema):
            validate_value(schema, value, self.field_name)
        return self.new_record(record, updated_schema, Struct._of(updated_schema, [value]))

    def _updated_schema(self, schema: Schema) -> Schema:
        return SchemaBuilder.struct().field(self.field_name, schema).build()

    def close(self) -> None:
        self._cache = None


HoistFieldKey, HoistFieldValue = key_and_value_variants(HoistField)
