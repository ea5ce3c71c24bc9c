"""Connect schemas and the values they describe: ``Type``, ``Field``, ``Schema``, ``SchemaBuilder``,
``Struct``, ``SchemaAndValue``, the primitive schemas and ``validate_value`` (ConnectSchema.validateValue).

Schemas are built once and shared by millions of records, so what a hot path needs (the hash,
field lookup by name, the field-name tuple) is computed when the schema is constructed.
Type names print the Java way (``str(Type.INT32) == "INT32"``, as in Kafka's messages); the
wire name is ``Type.INT32.value``. The logical types are in ``logical``; ``data`` exports both.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from enum import Enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from .errors import DataError

__all__ = [
    "Type", "Field", "Schema", "SchemaBuilder", "Struct", "SchemaAndValue", "NULL_SCHEMA_AND_VALUE",
    "validate_value",
    "INT8_SCHEMA", "INT16_SCHEMA", "INT32_SCHEMA", "INT64_SCHEMA", "FLOAT32_SCHEMA", "FLOAT64_SCHEMA",
    "BOOLEAN_SCHEMA", "STRING_SCHEMA", "BYTES_SCHEMA", "OPTIONAL_INT8_SCHEMA", "OPTIONAL_INT16_SCHEMA",
    "OPTIONAL_INT32_SCHEMA", "OPTIONAL_INT64_SCHEMA", "OPTIONAL_FLOAT32_SCHEMA", "OPTIONAL_FLOAT64_SCHEMA",
    "OPTIONAL_BOOLEAN_SCHEMA", "OPTIONAL_STRING_SCHEMA", "OPTIONAL_BYTES_SCHEMA",
]


class Type(str, Enum):
    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    @property
    def is_primitive(self) -> bool:
        return self not in (Type.ARRAY, Type.MAP, Type.STRUCT)

    def __str__(self) -> str:  # Java prints enum names: "INT32"
        return self.name


INT_RANGES = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}


class Field:
    __slots__ = ("name", "index", "schema")

    def __init__(self, name: str, index: int, schema: "Schema"):
        self.name = name
        self.index = index
        self.schema = schema

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return self.name == other.name and self.index == other.index and self.schema == other.schema

    def __hash__(self) -> int:
        return hash((self.name, self.index, self.schema))

    def __repr__(self) -> str:
        return f"Field{{name={self.name}, index={self.index}, schema={self.schema!r}}}"


class Schema:
    """An immutable (by convention) Connect schema, equal and hashable by value."""

    __slots__ = (
        "type", "optional", "default", "name", "version", "doc", "parameters", "fields",
        "key_schema", "value_schema", "field_names", "_fields_by_name", "_struct_fields", "_hash", "__weakref__",
    )

    def __init__(
        self,
        type: Type | str,
        optional: bool = False,
        default: Any = None,
        name: str | None = None,
        version: int | None = None,
        doc: str | None = None,
        parameters: Mapping[str, str] | None = None,
        fields: Iterable[Field | tuple[str, "Schema"]] | None = None,
        key_schema: "Schema | None" = None,
        value_schema: "Schema | None" = None,
    ):
        self.type = Type(type)
        self.optional = bool(optional)
        self.default = default
        self.name = name
        self.version = version
        self.doc = doc
        self.parameters = dict(parameters) if parameters else {}
        built: list[Field] = []
        by_name: dict[str, Field] = {}
        for i, f in enumerate(fields or ()):
            f = f if isinstance(f, Field) else Field(f[0], i, f[1])
            if f.name in by_name:
                raise DataError(f"Cannot create field because of field name duplication {f.name}")
            if isinstance(f.schema, SchemaBuilder):
                f = Field(f.name, f.index, f.schema.build())
            built.append(f)
            by_name[f.name] = f
        if built and self.type is not Type.STRUCT:
            raise DataError(f"Cannot create fields on type {self.type}")
        self.fields = built
        self.field_names = tuple(f.name for f in built)
        self._fields_by_name = by_name
        self._struct_fields = tuple(f for f in built if f.schema.type is Type.STRUCT)
        self.key_schema = key_schema
        self.value_schema = value_schema
        # The default is left out of the hash: it may be unhashable (list, dict, Struct).
        self._hash = hash((
            self.type, self.optional, name, version, doc, tuple(sorted(self.parameters.items())),
            tuple(built), key_schema, value_schema,
        ))

    def field(self, name: str) -> Field | None:
        return self._fields_by_name.get(name)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Schema):
            return NotImplemented
        return (
            self._hash == other._hash and self.type is other.type and self.optional == other.optional
            and self.name == other.name and self.version == other.version and self.doc == other.doc
            and self.parameters == other.parameters and self.fields == other.fields
            and self.key_schema == other.key_schema and self.value_schema == other.value_schema
            and _deep_equals(self.default, other.default)
        )

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Schema{{{self.name + ':' if self.name else ''}{self.type.name}}}"

    def validate(self, value: Any, field_name: str | None = None) -> None:
        validate_value(self, value, field_name)


def _deep_equals(a: Any, b: Any) -> bool:
    # bool == int in Python; Connect values of different kinds must not compare equal.
    if type(a) is not type(b) and (isinstance(a, bool) or isinstance(b, bool)):
        return False
    return a == b


def _primitive(t: Type, optional: bool) -> Schema:
    return Schema(t, optional=optional)


INT8_SCHEMA = _primitive(Type.INT8, False)
INT16_SCHEMA = _primitive(Type.INT16, False)
INT32_SCHEMA = _primitive(Type.INT32, False)
INT64_SCHEMA = _primitive(Type.INT64, False)
FLOAT32_SCHEMA = _primitive(Type.FLOAT32, False)
FLOAT64_SCHEMA = _primitive(Type.FLOAT64, False)
BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN, False)
STRING_SCHEMA = _primitive(Type.STRING, False)
BYTES_SCHEMA = _primitive(Type.BYTES, False)
OPTIONAL_INT8_SCHEMA = _primitive(Type.INT8, True)
OPTIONAL_INT16_SCHEMA = _primitive(Type.INT16, True)
OPTIONAL_INT32_SCHEMA = _primitive(Type.INT32, True)
OPTIONAL_INT64_SCHEMA = _primitive(Type.INT64, True)
OPTIONAL_FLOAT32_SCHEMA = _primitive(Type.FLOAT32, True)
OPTIONAL_FLOAT64_SCHEMA = _primitive(Type.FLOAT64, True)
OPTIONAL_BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN, True)
OPTIONAL_STRING_SCHEMA = _primitive(Type.STRING, True)
OPTIONAL_BYTES_SCHEMA = _primitive(Type.BYTES, True)

for _name, _value in list(globals().items()):
    if _name.endswith("_SCHEMA") and isinstance(_value, Schema):
        setattr(Schema, _name, _value)


class SchemaBuilder:
    """Fluent schema construction, as in Java: ``SchemaBuilder.struct().name("x").field(...).build()``."""

    def __init__(self, type: Type | str):
        self._type = Type(type)
        self._optional = False
        self._default: Any = None
        self._name: str | None = None
        self._version: int | None = None
        self._doc: str | None = None
        self._parameters: dict[str, str] = {}
        self._fields: dict[str, Field] = {}
        self._key_schema: Schema | None = None
        self._value_schema: Schema | None = None

    # -- constructors ------------------------------------------------------------------------
    @staticmethod
    def type(t: Type | str) -> "SchemaBuilder": return SchemaBuilder(t)  # noqa: E704
    @staticmethod
    def int8() -> "SchemaBuilder": return SchemaBuilder(Type.INT8)  # noqa: E704
    @staticmethod
    def int16() -> "SchemaBuilder": return SchemaBuilder(Type.INT16)  # noqa: E704
    @staticmethod
    def int32() -> "SchemaBuilder": return SchemaBuilder(Type.INT32)  # noqa: E704
    @staticmethod
    def int64() -> "SchemaBuilder": return SchemaBuilder(Type.INT64)  # noqa: E704
    @staticmethod
    def float32() -> "SchemaBuilder": return SchemaBuilder(Type.FLOAT32)  # noqa: E704
    @staticmethod
    def float64() -> "SchemaBuilder": return SchemaBuilder(Type.FLOAT64)  # noqa: E704
    @staticmethod
    def boolean() -> "SchemaBuilder": return SchemaBuilder(Type.BOOLEAN)  # noqa: E704
    bool = boolean  # Java's spelling
    @staticmethod
    def string() -> "SchemaBuilder": return SchemaBuilder(Type.STRING)  # noqa: E704
    @staticmethod
    def bytes() -> "SchemaBuilder": return SchemaBuilder(Type.BYTES)  # noqa: E704
    @staticmethod
    def struct() -> "SchemaBuilder": return SchemaBuilder(Type.STRUCT)  # noqa: E704

    @staticmethod
    def array(value_schema: "Schema | SchemaBuilder") -> "SchemaBuilder":
        if value_schema is None:
            raise DataError("element schema cannot be null.")
        builder = SchemaBuilder(Type.ARRAY)
        builder._value_schema = _built(value_schema)
        return builder

    @staticmethod
    def map(key_schema: "Schema | SchemaBuilder", value_schema: "Schema | SchemaBuilder") -> "SchemaBuilder":
        if key_schema is None or value_schema is None:
            raise DataError("key schema and value schema cannot be null.")
        builder = SchemaBuilder(Type.MAP)
        builder._key_schema = _built(key_schema)
        builder._value_schema = _built(value_schema)
        return builder

    # -- attributes --------------------------------------------------------------------------
    def _check_unset(self, attr: str, current: Any) -> None:
        if current is not None:
            raise DataError(f"Invalid SchemaBuilder call: {attr} has already been set.")

    def optional(self) -> "SchemaBuilder":
        self._optional = True
        return self

    def required(self) -> "SchemaBuilder":
        self._optional = False
        return self

    def name(self, name: str) -> "SchemaBuilder":
        self._check_unset("name", self._name)
        self._name = name
        return self

    def version(self, version: int) -> "SchemaBuilder":
        self._check_unset("version", self._version)
        self._version = version
        return self

    def doc(self, doc: str) -> "SchemaBuilder":
        self._check_unset("doc", self._doc)
        self._doc = doc
        return self

    def parameter(self, key: str, value: str) -> "SchemaBuilder":
        self._parameters[key] = value
        return self

    def parameters(self, params: Mapping[str, str]) -> "SchemaBuilder":
        self._parameters.update(params)
        return self

    def default_value(self, value: Any) -> "SchemaBuilder":
        self._check_unset("default", self._default)
        # Validated against what has been built so far, as Java does.
        validate_value(self._snapshot(None), value)
        self._default = value
        return self

    def field(self, name: str, schema: "Schema | SchemaBuilder") -> "SchemaBuilder":
        if self._type is not Type.STRUCT:
            raise DataError(f"Cannot create fields on type {self._type}")
        if not name:
            raise DataError("fieldName cannot be null.")
        if schema is None:
            raise DataError("fieldSchema for field " + name + " cannot be null.")
        if name in self._fields:
            raise DataError(f"Cannot create field because of field name duplication {name}")
        self._fields[name] = Field(name, len(self._fields), _built(schema))
        return self

    def _snapshot(self, default: Any) -> Schema:
        return Schema(
            self._type, self._optional, default, self._name, self._version, self._doc,
            self._parameters, list(self._fields.values()), self._key_schema, self._value_schema,
        )

    def build(self) -> Schema:
        return self._snapshot(self._default)

    schema = build


def _built(schema: "Schema | SchemaBuilder") -> Schema:
    return schema.build() if isinstance(schema, SchemaBuilder) else schema


# -- validation -------------------------------------------------------------------------------

_BYTES_TYPES = (bytes, bytearray, memoryview)


def _int_check(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: (type(v) is int or (isinstance(v, int) and not isinstance(v, bool))) and lo <= v <= hi


_TYPE_CHECKS: dict[Type, Callable[[Any], bool]] = {
    **{t: _int_check(lo, hi) for t, (lo, hi) in INT_RANGES.items()},
    Type.FLOAT32: lambda v: isinstance(v, (float, int)) and not isinstance(v, bool),
    Type.FLOAT64: lambda v: isinstance(v, (float, int)) and not isinstance(v, bool),
    Type.BOOLEAN: lambda v: isinstance(v, bool),
    Type.STRING: lambda v: isinstance(v, str),
    Type.BYTES: lambda v: isinstance(v, _BYTES_TYPES),
    Type.ARRAY: lambda v: isinstance(v, (list, tuple)),
    Type.MAP: lambda v: isinstance(v, dict),
    Type.STRUCT: lambda v: isinstance(v, Struct),
}
# The value each logical type takes, by its name (ConnectSchema.LOGICAL_TYPE_CLASSES); the logical types
# themselves (logical.py) are built on this module, so they are named here, not imported.
_LOGICAL_CHECKS: dict[str, Callable[[Any], bool]] = {
    "org.apache.kafka.connect.data.Decimal": lambda v: isinstance(v, _decimal.Decimal),
    "org.apache.kafka.connect.data.Date": lambda v: isinstance(v, _dt.date),
    "org.apache.kafka.connect.data.Time": lambda v: isinstance(v, _dt.time),
    "org.apache.kafka.connect.data.Timestamp": lambda v: isinstance(v, _dt.datetime),
}


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if isinstance(value, int) else type(value).__name__


def validate_value(schema: Schema, value: Any, field_name: str | None = None) -> None:
    """ConnectSchema.validateValue: raise DataError unless ``value`` fits ``schema``."""
    if value is None:
        if schema.optional:
            return
        if field_name is not None:
            raise DataError(f'Invalid value: null used for required field: "{field_name}", schema type: {schema.type}')
        raise DataError(f"Invalid value: null used for required field, schema type: {schema.type}")
    check = _LOGICAL_CHECKS.get(schema.name) if schema.name else None
    if not (check or _TYPE_CHECKS[schema.type])(value):
        message = "Invalid Java object for schema" + (f' "{schema.name}"' if schema.name else "")
        message += f" with type {schema.type}: {_describe(value)}"
        if field_name is not None:
            message += f' for field: "{field_name}"'
        raise DataError(message)
    t = schema.type
    if check is not None or t.is_primitive:
        return
    if t is Type.ARRAY:
        for item in value:
            validate_value(schema.value_schema, item)
    elif t is Type.MAP:
        for k, v in value.items():
            validate_value(schema.key_schema, k)
            validate_value(schema.value_schema, v)
    else:
        if value.schema is not schema and value.schema != schema:
            raise DataError("Struct schemas do not match.")
        value.validate()


# -- Struct -----------------------------------------------------------------------------------

class Struct:
    """A structured record; values are stored in a list indexed by field index."""

    __slots__ = ("schema", "values")

    def __init__(self, schema: Schema):
        if schema is None or schema.type is not Type.STRUCT:
            raise DataError(f"Not a struct schema: {schema!r}")
        self.schema = schema
        self.values: list[Any] = [None] * len(schema.fields)

    @classmethod
    def _of(cls, schema: Schema, values: list[Any]) -> "Struct":
        """Wrap already-valid values without checks (converters, from_dict)."""
        struct = object.__new__(cls)
        struct.schema = schema
        struct.values = values
        return struct

    @classmethod
    def from_dict(cls, schema: Schema, mapping: Mapping[str, Any]) -> "Struct":
        """Build without per-field validation; nested struct fields may be given as dicts.

        Keys that are not fields are ignored. Call ``validate()`` if the input is untrusted.
        """
        if schema.type is not Type.STRUCT:
            raise DataError(f"Not a struct schema: {schema!r}")
        get = mapping.get
        values = [get(name) for name in schema.field_names]
        for f in schema._struct_fields:
            if isinstance(values[f.index], Mapping):
                values[f.index] = cls.from_dict(f.schema, values[f.index])
        return cls._of(schema, values)

    def _lookup(self, name_or_field: str | Field) -> Field:
        if isinstance(name_or_field, Field):
            return name_or_field
        f = self.schema._fields_by_name.get(name_or_field)
        if f is None:
            raise DataError(f"{name_or_field} is not a valid field name")
        return f

    def put(self, name_or_field: str | Field, value: Any) -> "Struct":
        f = self._lookup(name_or_field)
        validate_value(f.schema, value, f.name)
        self.values[f.index] = value
        return self

    def get(self, name_or_field: str | Field) -> Any:
        f = self._lookup(name_or_field)
        value = self.values[f.index]
        return f.schema.default if value is None else value

    def get_without_default(self, name_or_field: str | Field) -> Any:
        return self.values[self._lookup(name_or_field).index]

    def _get_checked(self, name: str, t: Type) -> Any:
        f = self._lookup(name)
        if f.schema.type is not t:
            raise DataError(f"Field '{name}' is not of type {t}")
        return self.get(f)

    def get_int8(self, name: str) -> int | None: return self._get_checked(name, Type.INT8)
    def get_int16(self, name: str) -> int | None: return self._get_checked(name, Type.INT16)
    def get_int32(self, name: str) -> int | None: return self._get_checked(name, Type.INT32)
    def get_int64(self, name: str) -> int | None: return self._get_checked(name, Type.INT64)
    def get_float32(self, name: str) -> float | None: return self._get_checked(name, Type.FLOAT32)
    def get_float64(self, name: str) -> float | None: return self._get_checked(name, Type.FLOAT64)
    def get_boolean(self, name: str) -> bool | None: return self._get_checked(name, Type.BOOLEAN)
    def get_string(self, name: str) -> str | None: return self._get_checked(name, Type.STRING)
    def get_bytes(self, name: str) -> Any: return self._get_checked(name, Type.BYTES)
    def get_array(self, name: str) -> list | None: return self._get_checked(name, Type.ARRAY)
    def get_map(self, name: str) -> dict | None: return self._get_checked(name, Type.MAP)
    def get_struct(self, name: str) -> "Struct | None": return self._get_checked(name, Type.STRUCT)

    def validate(self) -> None:
        for f, value in zip(self.schema.fields, self.values):
            if value is None and (f.schema.optional or f.schema.default is not None):
                continue
            validate_value(f.schema, value, f.name)

    def to_dict(self) -> dict[str, Any]:
        """Field name → value (defaults applied), nested Structs converted recursively."""
        return {
            f.name: _plain(f.schema.default if v is None else v)
            for f, v in zip(self.schema.fields, self.values)
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Struct):
            return NotImplemented
        return self.schema == other.schema and len(self.values) == len(other.values) and all(
            _deep_equals(a, b) for a, b in zip(self.values, other.values)
        )

    def __hash__(self) -> int:
        return hash(self.schema)

    def __repr__(self) -> str:
        parts = ",".join(f"{f.name}={v!r}" for f, v in zip(self.schema.fields, self.values) if v is not None)
        return f"Struct{{{parts}}}"


def _plain(value: Any) -> Any:
    if isinstance(value, Struct):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k) if not isinstance(k, Struct) else k: _plain(v) for k, v in value.items()}
    return value


class SchemaAndValue(NamedTuple):
    schema: Schema | None
    value: Any


NULL_SCHEMA_AND_VALUE = SchemaAndValue(None, None)
SchemaAndValue.NULL = NULL_SCHEMA_AND_VALUE  # type: ignore[attr-defined]
