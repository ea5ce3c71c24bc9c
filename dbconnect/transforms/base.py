"""What the built-in transforms share: the ``$Key``/``$Value`` split, Kafka's requirement checks,
schema copying and each transform's config definition.

Kafka writes most SMTs as one abstract class with ``Key`` and ``Value`` nested subclasses that
choose which side of the record they operate on (``InsertField$Key``, ``InsertField$Value``).
Here a transform subclasses ``KeyOrValueTransformation`` once and ``key_and_value_variants`` makes
the two concrete classes, each listed under Kafka's class name and a short alias.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.config import ConfigDefinition
from dbconnect.api.data import Schema, SchemaBuilder, Struct, Type
from dbconnect.api.errors import DataError
from dbconnect.api.records import ConnectRecord, SinkRecord
from dbconnect.api.transformation import Transformation

__all__ = [
    "KAFKA_TRANSFORMS", "KAFKA_PREDICATES", "KeyOrValueTransformation", "key_and_value_variants",
    "kafka_names", "load_definition", "parse_config", "require_map", "require_struct",
    "require_struct_or_null", "require_sink_record", "copy_schema_basics",
]

KAFKA_TRANSFORMS = "org.apache.kafka.connect.transforms"
KAFKA_PREDICATES = "org.apache.kafka.connect.transforms.predicates"


def kafka_names(simple: str, package: str = KAFKA_TRANSFORMS) -> tuple[str, ...]:
    """The names a built-in answers to: Kafka's class name first (what ``GET /connector-plugins``
    lists), then the short one (``InsertField$Value``)."""
    return (f"{package}.{simple}", simple)


def load_definition(name: str) -> ConfigDefinition:
    """A transform's or predicate's keys, from ``schemas/transforms/<name>.json`` (the one source
    of truth for config keys, as for connectors)."""
    return ConfigDefinition.load(f"transforms/{name}")


def parse_config(definition: ConfigDefinition, configs: Mapping[str, Any]) -> dict[str, Any]:
    """Parse ``configs`` against ``definition`` with defaults applied; a bad value raises
    ConfigError with Kafka's wording (``validate`` reports the same messages under the alias)."""
    return definition.parse(dict(configs))


# ------------------------------------------------------------------------------ requirements
# Kafka's org.apache.kafka.connect.transforms.util.Requirements, with its messages.

def require_map(value: Any, purpose: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DataError(f"Only Map objects supported in absence of schema for [{purpose}], found: {_type_name(value)}")
    return value


def require_struct(value: Any, purpose: str) -> Struct:
    if not isinstance(value, Struct):
        raise DataError(f"Only Struct objects supported for [{purpose}], found: {_type_name(value)}")
    return value


def require_struct_or_null(value: Any, purpose: str) -> Struct | None:
    return None if value is None else require_struct(value, purpose)


def require_sink_record(record: ConnectRecord, purpose: str) -> SinkRecord:
    if not isinstance(record, SinkRecord):
        raise DataError(f"Only SinkRecord supported for [{purpose}], found: {_type_name(record)}")
    return record


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def copy_schema_basics(source: Schema, builder: SchemaBuilder | None = None) -> SchemaBuilder:
    """Kafka's SchemaUtil.copySchemaBasics: name, version, doc and parameters, onto ``builder`` or
    a new builder of the same type (an array keeps its element schema, a map its key and value
    schemas)."""
    if builder is None:
        if source.type is Type.ARRAY:
            builder = SchemaBuilder.array(source.value_schema)
        elif source.type is Type.MAP:
            builder = SchemaBuilder.map(source.key_schema, source.value_schema)
        else:
            builder = SchemaBuilder(source.type)
    if source.name:
        builder.name(source.name)
    if source.version is not None:
        builder.version(source.version)
    if source.doc:
        builder.doc(source.doc)
    if source.parameters:
        builder.parameters(source.parameters)
    return builder


# ------------------------------------------------------------------------------ key / value

class KeyOrValueTransformation(Transformation):
    """A transformation that works on one side of a record; ``key_and_value_variants`` sets
    ``operates_on``. Subclasses implement ``apply`` with these three accessors."""

    operates_on: str = "value"

    def operating_schema(self, record: ConnectRecord) -> Schema | None:
        return record.key_schema if self.operates_on == "key" else record.value_schema

    def operating_value(self, record: ConnectRecord) -> Any:
        return record.key if self.operates_on == "key" else record.value

    def new_record(self, record: ConnectRecord, schema: Schema | None, value: Any) -> ConnectRecord:
        if self.operates_on == "key":
            return record.new_record(key_schema=schema, key=value)
        return record.new_record(value_schema=schema, value=value)


def key_and_value_variants(base: type, simple: str | None = None,
                           package: str = KAFKA_TRANSFORMS) -> tuple[type, type]:
    """``(Base$Key, Base$Value)``: two concrete subclasses of ``base`` in ``base``'s module, named
    ``<Base>Key`` and ``<Base>Value`` in Python and ``<package>.<Base>$Key`` / ``…$Value`` (plus the
    short ``<Base>$Key``) for configs. Assign them to module globals of those names so that the
    Python path works too."""
    simple = simple or base.__name__
    made = []
    for side, suffix in (("key", "Key"), ("value", "Value")):
        cls = type(f"{base.__name__}{suffix}", (base,), {
            "operates_on": side,
            "aliases": kafka_names(f"{simple}${suffix}", package),
            "__module__": base.__module__,
            "__qualname__": f"{base.__name__}{suffix}",
            "__doc__": f"{simple}${suffix}: {(base.__doc__ or '').strip().splitlines()[0] if base.__doc__ else ''}",
        })
        made.append(cls)
    return made[0], made[1]

