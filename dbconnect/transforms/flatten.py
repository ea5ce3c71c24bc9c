"""Flatten$Key / Flatten$Value: Kafka's ``org.apache.kafka.connect.transforms.Flatten``.

Nested Structs (schema) or maps (schemaless) become one level, each field named by its path joined
with ``delimiter`` (default ``.``). Arrays are kept as they are; a map inside a Struct is refused,
as in Kafka. A flattened field is optional when any struct above it is, and takes its default from
the nearest struct above that has one. A null key or value passes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.data import Schema, SchemaBuilder, Struct, Type
from dbconnect.api.errors import DataError
from dbconnect.api.records import ConnectRecord

from .base import (
    KeyOrValueTransformation, copy_schema_basics, key_and_value_variants, load_definition, parse_config,
    require_map, require_struct_or_null,
)
from .support import SchemaCache, struct_from

__all__ = ["Flatten", "FlattenKey", "FlattenValue"]

PURPOSE = "flattening"
# What Kafka's ConnectSchema.schemaType infers for a schemaless value, for the types kept as they are.
_KEPT_AS_IS = (bool, int, float, str, bytes, bytearray, memoryview, list, tuple)
_COPIED_TYPES = frozenset({Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64,
                           Type.BOOLEAN, Type.STRING, Type.BYTES, Type.ARRAY})


class Flatten(KeyOrValueTransformation):
    """Flatten a nested data structure, generating names for each field by concatenating the field
    names at each level with a configurable delimiter character."""

    def config(self):
        return load_definition("flatten")

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.delimiter = parse_config(self.config(), configs)["delimiter"]
        self._cache = SchemaCache()

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        value = self.operating_value(record)
        if value is None:
            return record
        if self.operating_schema(record) is None:
            flat: dict[str, Any] = {}
            self._flatten_map(require_map(value, PURPOSE), "", flat)
            return self.new_record(record, None, flat)
        return self._apply_with_schema(record, value)

    def _name(self, prefix: str, name: str) -> str:
        return f"{prefix}{self.delimiter}{name}" if prefix else name

    # ---- schemaless

    def _flatten_map(self, original: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
        for key, value in original.items():
            name = self._name(prefix, key)
            if value is None or isinstance(value, _KEPT_AS_IS):
                out[name] = value
            elif isinstance(value, Mapping):
                self._flatten_map(value, name, out)
            elif isinstance(value, Struct):
                raise DataError(f"Flatten transformation does not support {type(value).__name__} "
                                f"for record without schemas (for field {name}).")
            else:
                raise DataError(f"Flatten transformation was passed a value of type {type(value).__name__} "
                                f"which is not supported by Connect's data API")

    # ---- with a schema

    def _apply_with_schema(self, record: ConnectRecord, value: Any) -> ConnectRecord:
        struct = require_struct_or_null(value, PURPOSE)
        schema, paths = self._cache.get_or_build(self.operating_schema(record), self._plan)
        if struct is None:
            return self.new_record(record, schema, None)
        values, put = [], []
        for position, path in enumerate(paths):
            # Kafka walks the nested Structs (defaults applied) and puts each leaf it reaches; under
            # a null Struct nothing is put, so the flattened field stays null unchecked.
            current: Any = struct
            for field in path:
                if current is None:
                    break
                current = current.get(field)
            else:
                put.append(position)
            values.append(current)
        return self.new_record(record, schema, struct_from(schema, values, put))

    def _plan(self, schema: Schema) -> tuple[Schema, list[tuple]]:
        """(the flattened schema, for each of its fields the path of input fields leading to it)."""
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        self._build_schema(schema, "", builder, schema.optional, schema.default)
        paths: list[tuple] = []
        self._leaf_paths(schema, (), paths)
        return builder.build(), paths

    def _leaf_paths(self, schema: Schema, above: tuple, out: list[tuple]) -> None:
        for field in schema.fields:
            if field.schema.type is Type.STRUCT:
                self._leaf_paths(field.schema, above + (field,), out)
            else:
                out.append(above + (field,))

    def _build_schema(self, schema: Schema, prefix: str, builder: SchemaBuilder, optional: bool,
                      default_from_parent: Struct | None) -> None:
        for field in schema.fields:
            name = self._name(prefix, field.name)
            field_optional = optional or field.schema.optional
            if field.schema.default is not None:
                field_default = field.schema.default
            elif default_from_parent is not None:
                field_default = default_from_parent.get(field)
            else:
                field_default = None
            kind = field.schema.type
            if kind in _COPIED_TYPES:
                builder.field(name, _flattened_field_schema(field.schema, field_optional, field_default))
            elif kind is Type.STRUCT:
                self._build_schema(field.schema, name, builder, field_optional, field_default)
            else:
                raise DataError(f"Flatten transformation does not support {kind} for record with schemas "
                                f"(for field {name}).")

    def close(self) -> None:
        self._cache = None


def _flattened_field_schema(original: Schema, optional: bool, default: Any) -> Schema:
    """Kafka's convertFieldSchema: the field's own schema, made optional and given the inherited
    default where its ancestors say so (``SchemaUtil.copySchemaBasics``, arrays keep their items)."""
    builder = copy_schema_basics(original)
    if optional:
        builder.optional()
    if default is not None:
        builder.default_value(default)
    return builder.build()


FlattenKey, FlattenValue = key_and_value_variants(Flatten)
