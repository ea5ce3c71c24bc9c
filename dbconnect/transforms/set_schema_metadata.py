"""SetSchemaMetadata$Key / SetSchemaMetadata$Value: Kafka's
``org.apache.kafka.connect.transforms.SetSchemaMetadata``.

Sets the name, the version or both of the key's or value's schema; a Struct is rebuilt on the new
schema (its fields are the same). A record whose key or value and schema are both null passes
through; a value without a schema fails ("Schema required for [updating schema metadata]").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dbconnect.api.data import Schema, Struct, Type
from dbconnect.api.errors import ConfigError
from dbconnect.api.records import ConnectRecord

from .base import KeyOrValueTransformation, key_and_value_variants, load_definition, parse_config
from .support import field_value, require_schema

__all__ = ["SetSchemaMetadata", "SetSchemaMetadataKey", "SetSchemaMetadataValue"]

log = logging.getLogger(__name__)


class SetSchemaMetadata(KeyOrValueTransformation):
    """Set the schema name, version or both on the record's key or value schema."""

    def config(self):
        return load_definition("set-schema-metadata")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.schema_name = config["schema.name"]
        self.schema_version = config["schema.version"]
        self.replace_null_with_default = config["replace.null.with.default"]
        if self.schema_name is None and self.schema_version is None:
            raise ConfigError("Neither schema name nor version configured")

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        value = self.operating_value(record)
        schema = self.operating_schema(record)
        if value is None and schema is None:
            return record
        require_schema(schema, "updating schema metadata")
        is_map, is_array = schema.type is Type.MAP, schema.type is Type.ARRAY
        updated_schema = Schema(
            schema.type, schema.optional, schema.default,
            self.schema_name if self.schema_name is not None else schema.name,
            self.schema_version if self.schema_version is not None else schema.version,
            schema.doc, schema.parameters, schema.fields,
            schema.key_schema if is_map else None,
            schema.value_schema if is_map or is_array else None,
        )
        log.debug("Applying SetSchemaMetadata SMT. Original schema: %r, updated schema: %r", schema, updated_schema)
        return self.new_record(record, updated_schema, self._update_schema_in(value, updated_schema))

    def _update_schema_in(self, value: Any, updated_schema: Schema) -> Any:
        """A Struct refers to its schema: rebuild it on the renamed one (same fields)."""
        if not isinstance(value, Struct):
            return value
        updated = Struct(updated_schema)
        replace = self.replace_null_with_default
        for field in updated_schema.fields:
            updated.put(field, field_value(value, field.name, replace))
        return updated


SetSchemaMetadataKey, SetSchemaMetadataValue = key_and_value_variants(SetSchemaMetadata)
