"""ExtractField$Key / ExtractField$Value: Kafka's ``org.apache.kafka.connect.transforms.ExtractField``.

Replaces the key or value with one of its fields: a Struct's field (the new schema is that field's
schema) or a map's entry (no schema). A null key or value stays null (its schema still becomes the
field's). ``field.syntax.version=V2`` reaches nested fields (single_field_path.py). With a schema,
a field that is not in it fails the record with ``Unknown field: <field>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.errors import ConfigError, DataError
from dbconnect.api.records import ConnectRecord

from .base import KeyOrValueTransformation, key_and_value_variants, load_definition, parse_config, require_map, \
    require_struct_or_null
from .single_field_path import FIELD_SYNTAX_VERSION_CONFIG, SingleFieldPath

__all__ = ["ExtractField", "ExtractFieldKey", "ExtractFieldValue"]

PURPOSE = "field extraction"


class ExtractField(KeyOrValueTransformation):
    """Extract the specified field from a Struct when schema present, or a Map in the case of
    schemaless data."""

    def config(self):
        return load_definition("extract-field")

    def configure(self, configs: Mapping[str, Any]) -> None:
        parsed = parse_config(self.config(), configs)
        self.original_path = parsed["field"]
        try:
            self.path = SingleFieldPath(self.original_path, parsed[FIELD_SYNTAX_VERSION_CONFIG])
        except ConfigError as exc:  # named under its key, so that validate shows it there
            message = f"Invalid value {self.original_path} for configuration field: {exc}"
            raise ConfigError(message, {"field": [message]}) from exc
        self.replace_null_with_default = parsed["replace.null.with.default"]

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            mapping = None if value is None else require_map(value, PURPOSE)
            return self.new_record(record, None, None if mapping is None else self.path.value_from_map(mapping))
        struct = require_struct_or_null(value, PURPOSE)
        field = self.path.field_from(schema)
        if field is None:
            raise DataError(f"Unknown field: {self.original_path}")
        extracted = None if struct is None else self.path.value_from_struct(struct, self.replace_null_with_default)
        return self.new_record(record, field.schema, extracted)


ExtractFieldKey, ExtractFieldValue = key_and_value_variants(ExtractField)
