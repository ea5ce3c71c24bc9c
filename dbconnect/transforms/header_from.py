"""Kafka's ``org.apache.kafka.connect.transforms.HeaderFrom$Key`` / ``$Value``: copies or moves
the fields named in ``fields`` into headers named by the matching entries of ``headers``.

With a schema the header carries the field's schema (and value: the default when the field is null
and ``replace.null.with.default`` is true); ``move`` drops the fields from the struct's schema
(name, version, doc and parameters kept, as Kafka's SchemaUtil.copySchemaBasics). Without a schema
the value must be a map; a missing field gives a null header. A field named in ``fields`` that
the struct's schema lacks fails the record with a DataError naming it (Kafka fails with a
NullPointerException there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.data import Schema, SchemaBuilder, Struct
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.api.records import ConnectRecord, Headers

from .base import (
    KeyOrValueTransformation, copy_schema_basics, key_and_value_variants, load_definition, parse_config,
    require_map, require_struct,
)

__all__ = ["HeaderFrom", "HeaderFromKey", "HeaderFromValue"]


class HeaderFrom(KeyOrValueTransformation):
    """Moves or copies fields in the key/value of a record into that record's headers."""

    def __init__(self) -> None:
        self._move_schemas: dict[Schema, Schema] = {}

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(self.config(), configs)
        self.fields: list[str] = config["fields"]
        self.headers: list[str] = config["headers"]
        if len(self.fields) != len(self.headers):
            message = "'fields' config must have the same number of elements as 'headers' config."
            raise ConfigError(message, {"headers": [message]})
        self.operation: str = config["operation"]
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        self._move_schemas = {}

    def config(self) -> ConfigDefinition:
        return load_definition("header-from")

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            return self._apply_schemaless(record, value)
        return self._apply_with_schema(record, value, schema)

    def _field_value(self, struct: Struct, name: str) -> Any:
        return struct.get(name) if self.replace_null_with_default else struct.get_without_default(name)

    def _apply_with_schema(self, record: ConnectRecord, value: Any, schema: Schema) -> ConnectRecord:
        struct = require_struct(value, f"header {self.operation}")
        headers = Headers(record.headers)
        if self.operation == "move":
            new_schema = self._move_schema(schema)
            new_value = Struct(new_schema)
            for field in new_schema.fields:
                new_value.put(field.name, self._field_value(struct, field.name))
        else:
            new_schema, new_value = schema, struct
        for field_name, header_name in zip(self.fields, self.headers):
            field = schema.field(field_name)
            if field is None:
                raise DataError(f"Field {field_name} does not exist in the schema of the record's "
                                f"{self.operates_on} ({schema!r})")
            headers.add(header_name, self._field_value(struct, field_name), field.schema)
        return self._updated(record, new_schema, new_value, headers)

    def _move_schema(self, schema: Schema) -> Schema:
        moved = self._move_schemas.get(schema)
        if moved is None:
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            for field in schema.fields:
                if field.name not in self.fields:
                    builder.field(field.name, field.schema)
            moved = builder.build()
            if len(self._move_schemas) >= 16:
                self._move_schemas.clear()
            self._move_schemas[schema] = moved
        return moved

    def _apply_schemaless(self, record: ConnectRecord, value: Any) -> ConnectRecord:
        mapping = require_map(value, f"header {self.operation}")
        headers = Headers(record.headers)
        updated = dict(mapping)
        for field_name, header_name in zip(self.fields, self.headers):
            if self.operation == "move":
                updated.pop(field_name, None)
            headers.add(header_name, mapping.get(field_name), None)
        return self._updated(record, None, updated, headers)

    def _updated(self, record: ConnectRecord, schema: Schema | None, value: Any, headers: Headers) -> ConnectRecord:
        if self.operates_on == "key":
            return record.new_record(key_schema=schema, key=value, headers=headers)
        return record.new_record(value_schema=schema, value=value, headers=headers)


HeaderFromKey, HeaderFromValue = key_and_value_variants(HeaderFrom)
