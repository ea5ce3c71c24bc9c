"""ReplaceField$Key / ReplaceField$Value: Kafka's ``org.apache.kafka.connect.transforms.ReplaceField``.

Keeps the fields ``include`` names (all when empty) minus those ``exclude`` names, and renames
fields by ``renames=old:new,…``. ``whitelist`` and ``blacklist``, the keys Kafka deprecated for
``include`` and ``exclude`` (and removed in 4.0), are still read when the new key is not set, as
Kafka 3.x's ``ConfigUtils.translateDeprecatedConfigs`` did. A null key or value passes through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dbconnect.api.data import Schema, SchemaBuilder
from dbconnect.api.errors import ConfigError
from dbconnect.api.records import ConnectRecord

from .base import (
    KeyOrValueTransformation, copy_schema_basics, key_and_value_variants, load_definition, parse_config,
    require_map, require_struct,
)
from .support import SchemaCache, java_split, struct_from, struct_values

__all__ = ["ReplaceField", "ReplaceFieldKey", "ReplaceFieldValue", "parse_rename_mappings"]

log = logging.getLogger(__name__)

PURPOSE = "field replacement"
# (key, its deprecated alias)
DEPRECATED = (("include", "whitelist"), ("exclude", "blacklist"))


def parse_rename_mappings(mappings: list[str]) -> dict[str, str]:
    renames: dict[str, str] = {}
    for mapping in mappings:
        parts = java_split(mapping, ":")
        if len(parts) != 2:
            message = (f"Invalid value {_java_list(mappings)} for configuration renames: "
                       f"Invalid rename mapping: {mapping}")
            raise ConfigError(message, {"renames": [message]})
        renames[parts[0]] = parts[1]
    return renames


def _java_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


class ReplaceField(KeyOrValueTransformation):
    """Filter or rename fields."""

    def config(self):
        return load_definition("replace-field")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        for key, alias in DEPRECATED:
            if configs.get(alias) is None:
                continue
            if configs.get(key) is not None:
                log.error("%s was configured, as well as the deprecated alias(es) %s.  Using the value of %s",
                          key, alias, key)
            else:
                log.warning("Configuration key %s is deprecated and may be removed in the future.  "
                            "Please update your configuration to use %s instead.", alias, key)
                config[key] = config[alias]
        self.exclude = frozenset(config["exclude"])
        self.include = frozenset(config["include"])
        self.renames = parse_rename_mappings(config["renames"])
        self.reverse_renames = {new: old for old, new in self.renames.items()}
        self.replace_null_with_default = config["replace.null.with.default"]
        self._cache = SchemaCache()

    def filter(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)

    def renamed(self, name: str) -> str:
        return self.renames.get(name, name)

    def reverse_renamed(self, name: str) -> str:
        return self.reverse_renames.get(name, name)

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        value = self.operating_value(record)
        if value is None:
            return record
        if self.operating_schema(record) is None:
            return self._apply_schemaless(record, value)
        return self._apply_with_schema(record, value)

    def _apply_schemaless(self, record: ConnectRecord, value: Any) -> ConnectRecord:
        exclude, include, renames = self.exclude, self.include, self.renames  # filter() and renamed(), inlined
        updated = {renames.get(name, name): v for name, v in require_map(value, PURPOSE).items()
                   if name not in exclude and (not include or name in include)}
        return self.new_record(record, None, updated)

    def _apply_with_schema(self, record: ConnectRecord, value: Any) -> ConnectRecord:
        struct = require_struct(value, PURPOSE)
        schema, sources = self._cache.get_or_build(struct.schema, self._plan)
        values = struct_values(struct, self.replace_null_with_default)
        return self.new_record(record, schema, struct_from(schema, [values[i] for i in sources]))

    def _plan(self, schema: Schema) -> tuple[Schema, list[int]]:
        """(the new schema, for each of its fields the index of the input field it takes its value
        from: Kafka's reverse rename)."""
        updated = self._updated_schema(schema)
        return updated, [schema.field(self.reverse_renamed(f.name)).index for f in updated.fields]

    def _updated_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields:
            if self.filter(field.name):
                builder.field(self.renamed(field.name), field.schema)
        return builder.build()

    def close(self) -> None:
        self._cache = None


ReplaceFieldKey, ReplaceFieldValue = key_and_value_variants(ReplaceField)
