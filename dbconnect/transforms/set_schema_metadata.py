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
from .support import SchemaCache, require_schema, struct_from, struct_values

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
        self._cache = SchemaCache()

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        value = self.operating_value(record)
        schema = self.operating_schema(record)
        if value is None and schema is None:
            return record
        require_schema(schema, "updating schema metadata")
        updated_schema = self._cache.get_or_build(schema, self._updated_schema)
        return self.new_record(record, updated_schema, self._update_schema_in(value, updated_schema))

    def _updated_schema(self, schema: Schema) -> Schema:
        """Kafka builds this per record; it depends on the input schema alone, so it is cached."""
        is_map, is_array = schema.type is Type.MAP, schema.type is Type.ARRAY
        updated = Schema(
            schema.type, schema.optional, schema.default,
            self.schema_name if self.schema_name is not None else schema.name,
            self.schema_version if self.schema_version is not None else schema.version,
            schema.doc, schema.parameters, schema.fields,
            schema.key_schema if is_map else None,
            schema.value_schema if is_map or is_array else None,
        )
        log.debug("SetSchemaMetadata: original schema %r, updated schema %r", schema, updated)
        return updated

    def _update_schema_in(self, value: Any, updated_schema: Schema) -> Any:
        """A Struct refers to its schema: rebuild it on the renamed one (same fields)."""
        if not isinstance(value, Struct):
            return value
        return struct_from(updated_schema, struct_values(value, self.replace_null_with_default))

    def close(self) -> None:
        self._cache = None


SetSchemaMetadataKey, SetSchemaMetadataValue = key_and_value_variants(SetSchemaMetadata)
