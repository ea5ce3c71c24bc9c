"""Connect schemas ↔ JSON Schema documents, as Confluent's ``JsonSchemaData`` maps them.

Connect → JSON Schema (``from_connect_schema``) writes Confluent's annotations so a Connect
schema survives the round trip: ``connect.type`` (int8…int64, float32/64, bytes, map),
``connect.index`` (field position), ``connect.version``, ``connect.parameters``, ``title`` for
names and ``description`` for docs. Optional schemas become ``{"oneOf":[{"type":"null"},…]}``
with the field index on the wrapper. Each document admits every value ``jsonschema_values``
writes for its schema: a Decimal is a ``number`` under ``decimal_format="NUMERIC"`` and a
``string`` (its base64) under ``"BASE64"``, and a union whose members' JSON types overlap (int32
and int64, two structs…) is an ``anyOf``, since a ``oneOf`` refuses a value that two members match.

JSON Schema → Connect (``to_connect_schema``) also reads schemas other tools wrote: no
annotations (integer → int64, number → float64), nullable unions (``oneOf``/``anyOf`` with null,
``"type": ["x", "null"]``), other unions (a ``io.confluent.connect.json.OneOf`` struct), local
``$ref`` to ``definitions``/``$defs``, ``allOf`` merges, and objects that only have
``additionalProperties`` (→ maps). Value conversion lives in ``jsonschema_values``.
"""

from __future__ import annotations

import decimal as _decimal
import json as _json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import orjson

from ..api.data import INT_RANGES, STRING_SCHEMA, Decimal, Schema, SchemaBuilder, Type
from ..api.errors import DataError
from ..api.payload import DECIMAL_FORMATS

__all__ = ["JsonSchemaData", "NAMESPACE", "CONNECT_TYPE_PROP", "CONNECT_INDEX_PROP", "CONNECT_VERSION_PROP",
           "CONNECT_PARAMETERS_PROP", "JSON_TYPE_ENUM", "JSON_TYPE_ONE_OF", "DECIMAL_FORMATS", "non_optional",
           "enum_symbols"]

NAMESPACE = "io.confluent.connect.json"
CONNECT_TYPE_PROP = "connect.type"
CONNECT_VERSION_PROP = "connect.version"
CONNECT_PARAMETERS_PROP = "connect.parameters"
CONNECT_INDEX_PROP = "connect.index"
JSON_TYPE_ENUM = NAMESPACE + ".Enum"
JSON_TYPE_ONE_OF = NAMESPACE + ".OneOf"
GENERALIZED_TYPE_ENUM = "org.apache.kafka.connect.data.Enum"  # ConnectEnum.LOGICAL_PARAMETER
NULL_MARKER = "<NULL>"
KEY_FIELD, VALUE_FIELD = "key", "value"

_NUMBER_TYPES = {
    "int8": Type.INT8, "int16": Type.INT16, "int32": Type.INT32, "int64": Type.INT64,
    "float32": Type.FLOAT32, "float64": Type.FLOAT64, "bytes": Type.BYTES,
}
_FLOATS = (Type.FLOAT32, Type.FLOAT64)
# Keywords that only constrain a value; a oneOf/anyOf made only of these does not change the type.
_TYPE_KEYWORDS = ("type", "$ref", "properties", "items", "enum", "const", "oneOf", "anyOf", "allOf",
                  "additionalProperties")


def non_optional(schema: Schema) -> Schema:
    """The same schema, required (JsonSchemaData.nonOptional)."""
    if not schema.optional:
        return schema
    return Schema(schema.type, False, schema.default, schema.name, schema.version, schema.doc, schema.parameters,
                  schema.fields, schema.key_schema, schema.value_schema)


def _null_only(node: Any) -> bool:
    return isinstance(node, Mapping) and node.get("type") == "null"


class JsonSchemaData:
    """The mapping, configured like Confluent's ``JsonSchemaDataConfig``.

    ``decimal_format`` decides the JSON type of Decimals (``number`` for NUMERIC, ``string`` for
    BASE64: what the values are written as) and how Decimal defaults are written;
    ``non_finite_floats`` how float defaults that are NaN or ±Infinity are (see ValueCodec);
    ``additional_properties=False`` closes struct objects (``object.additional.properties``);
    ``optional_for_nonrequired`` makes properties missing from ``required`` optional
    (``use.optional.for.nonrequired``).
    """

    def __init__(self, decimal_format: str = "NUMERIC", additional_properties: bool = True,
                 optional_for_nonrequired: bool = False, non_finite_floats: str = "FAIL"):
        if decimal_format not in DECIMAL_FORMATS:
            raise ValueError(f"decimal_format must be one of {DECIMAL_FORMATS}")
        self.decimal_format = decimal_format
        self.additional_properties = additional_properties
        self.optional_for_nonrequired = optional_for_nonrequired
        self.non_finite_floats = non_finite_floats

    # == Connect -> JSON Schema =====================================================================

    def from_connect_schema(self, schema: Schema) -> dict[str, Any]:
        """The JSON Schema document for ``schema`` (a dict whose key order is the one written)."""
        if schema is None:
            raise DataError("A JSON Schema cannot be derived from a null schema")
        return self._raw(schema, None, False)

    def _raw(self, schema: Schema, index: int | None, ignore_optional: bool) -> dict[str, Any]:
        # Key order: "type", title/description/default, the connect.* annotations, then the
        # structural keywords. JSON Schema ignores key order; registries compare schemas parsed.
        t = schema.type
        node: dict[str, Any] = {}
        tail: dict[str, Any] = {}
        connect_type: str | None = None
        if t in INT_RANGES:
            node["type"], connect_type = "integer", t.value
        elif t in _FLOATS:
            node["type"], connect_type = "number", t.value
        elif t is Type.BOOLEAN:
            node["type"] = "boolean"
        elif t is Type.STRING:
            symbols = enum_symbols(schema.parameters)
            if symbols is None:
                node["type"] = "string"
            else:
                tail["enum"] = symbols
        elif t is Type.BYTES:
            # A Decimal is what the values are: a JSON number (NUMERIC) or its base64 (BASE64),
            # as Confluent's JsonSchemaData does since 7.3.14, 7.4.11 … 7.9.3, 8.0.1 (DGS-20917).
            numeric = schema.name == Decimal.LOGICAL_NAME and self.decimal_format == "NUMERIC"
            node["type"] = "number" if numeric else "string"
            connect_type = "bytes"
        elif t is Type.ARRAY:
            node["type"] = "array"
            tail["items"] = self._raw(schema.value_schema, None, False)
        elif t is Type.MAP:
            connect_type = "map"
            key_schema = schema.key_schema
            if key_schema.type is Type.STRING and not key_schema.optional:
                node["type"] = "object"
                tail["additionalProperties"] = self._raw(schema.value_schema, None, False)
            else:
                node["type"] = "array"
                tail["items"] = {"type": "object", "properties": {
                    KEY_FIELD: self._raw(key_schema, 0, False), VALUE_FIELD: self._raw(schema.value_schema, 1, False),
                }}
        elif schema.name == JSON_TYPE_ONE_OF:
            members = [non_optional(f.schema) for f in schema.fields]
            subschemas = [{"type": "null"}] if schema.optional else []
            subschemas += [self._raw(m, f.index, True) for m, f in zip(members, schema.fields)]
            kinds = ([frozenset(("null",))] if schema.optional else []) + [self._json_types(m) for m in members]
            return self._indexed({_union_keyword(kinds): subschemas}, index)
        elif schema.optional:
            required = non_optional(schema)
            keyword = _union_keyword([frozenset(("null",)), self._json_types(required)])
            return self._indexed({keyword: [{"type": "null"}, self._raw(required, None, False)]}, index)
        else:
            node["type"] = "object"
            tail["properties"] = {f.name: self._raw(f.schema, f.index, False) for f in schema.fields}
            if not self.additional_properties:
                tail["additionalProperties"] = False

        if schema.name is not None:
            node["title"] = schema.name
        if schema.doc is not None:
            node["description"] = schema.doc
        if schema.default is not None:
            node["default"] = self._default_json(schema)
        # Java's HashMap iterates these four keys in this order; kept for familiar-looking output.
        if schema.version is not None:
            node[CONNECT_VERSION_PROP] = schema.version
        if index is not None and (ignore_optional or not schema.optional):
            node[CONNECT_INDEX_PROP] = index
        if connect_type is not None:
            node[CONNECT_TYPE_PROP] = connect_type
        parameters = {k: v for k, v in schema.parameters.items() if not k.startswith(NAMESPACE)}
        if parameters:
            node[CONNECT_PARAMETERS_PROP] = parameters
        node.update(tail)
        if schema.optional and not ignore_optional:
            keyword = _union_keyword([frozenset(("null",)), self._json_types(non_optional(schema))])
            return self._indexed({keyword: [{"type": "null"}, node]}, index)
        return node

    def _json_types(self, schema: Schema) -> frozenset[str]:
        """The JSON types of the values written for a (required) schema: unions of members whose
        types overlap must be written as anyOf."""
        t = schema.type
        if schema.name == Decimal.LOGICAL_NAME:
            return frozenset(("number",) if self.decimal_format == "NUMERIC" else ("string",))
        if t in INT_RANGES or t in _FLOATS:
            return frozenset(("number",))
        if t is Type.BOOLEAN:
            return frozenset(("boolean",))
        if t is Type.STRING:
            symbols = enum_symbols(schema.parameters)
            return frozenset(("string", "null") if symbols is not None and None in symbols else ("string",))
        if t is Type.BYTES:
            return frozenset(("string",))
        if t is Type.ARRAY:
            return frozenset(("array",))
        if t is Type.MAP:
            as_object = schema.key_schema.type is Type.STRING and not schema.key_schema.optional
            return frozenset(("object",) if as_object else ("array",))
        if schema.name == JSON_TYPE_ONE_OF:
            types = frozenset(("null",)) if schema.optional else frozenset()
            return types.union(*(self._json_types(non_optional(f.schema)) for f in schema.fields))
        return frozenset(("object",))

    @staticmethod
    def _indexed(node: dict[str, Any], index: int | None) -> dict[str, Any]:
        if index is not None:
            node[CONNECT_INDEX_PROP] = index
        return node

    def _default_json(self, schema: Schema) -> Any:
        from .jsonschema_values import ValueCodec  # the codec imports this module

        value = ValueCodec(self.decimal_format, self.non_finite_floats).encoder(schema, field=False)(schema.default)
        return _plain_json(value)

    # == JSON Schema -> Connect =====================================================================

    def to_connect_schema(self, document: Any, version: int | None = None) -> Schema:
        """The Connect schema for a JSON Schema document; ``version`` is the registry's version,
        used for the top-level schema unless it carries ``connect.version``."""
        return _Reader(self, document).read(document, version, False)


class _Reader:
    """One document's conversion: ``$ref`` targets are resolved against its root."""

    def __init__(self, data: JsonSchemaData, root: Any):
        self.data = data
        self.root = root
        self.active: list[str] = []  # refs being expanded, to refuse recursive schemas

    def resolve(self, node: Any, track: bool = False) -> Any:
        """Follow ``$ref`` chains to the target; with ``track``, remember them for ``read``."""
        seen: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or (track and ref in self.active):
                raise DataError(f"Recursive JSON Schema reference {ref} cannot be mapped to a Connect schema")
            if not ref.startswith("#"):
                raise DataError(f"Unsupported JSON Schema reference {ref}: only local references (#/…) are supported")
            target: Any = self.root
            for token in (p for p in ref[1:].split("/") if p):
                token = unquote(token).replace("~1", "/").replace("~0", "~")
                if isinstance(target, Mapping) and token in target:
                    target = target[token]
                elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                    target = target[int(token)]
                else:
                    raise DataError(f"JSON Schema reference {ref} does not resolve")
            seen.append(ref)
            node = target
        if track:
            self.active.extend(seen)
        return node

    def read(self, node: Any, version: int | None, force_optional: bool) -> Schema:
        depth = len(self.active)
        try:
            return self._read(self.resolve(node, track=True), version, force_optional)
        finally:
            del self.active[depth:]

    def _read(self, node: Any, version: int | None, force_optional: bool) -> Schema:
        if not isinstance(node, Mapping):
            raise DataError(f"Unsupported JSON Schema {node!r}: a Connect schema needs a typed schema object")
        if isinstance(node.get("allOf"), list):
            return self.read(self._merge_all_of(node), version, force_optional)
        for keyword in ("oneOf", "anyOf"):
            subschemas = node.get(keyword)
            if isinstance(subschemas, list) and subschemas and not self._only_constraints(node, subschemas):
                return self._union(node, subschemas, version, force_optional)
        type_name = node.get("type")
        if isinstance(type_name, list):
            types = [t for t in type_name if isinstance(t, str)]
            if len(types) == 1:
                return self.read({**node, "type": types[0]}, version, force_optional)
            return self._union(node, [{**node, "type": t} for t in types], version, force_optional)
        if type_name is None:
            type_name = self._implied_type(node)
        builder = self._builder(node, type_name)
        return self._finish(builder, node, version, force_optional)

    @staticmethod
    def _implied_type(node: Mapping[str, Any]) -> str:
        if "properties" in node or "additionalProperties" in node:
            return "object"
        if "items" in node:
            return "array"
        if isinstance(node.get("enum"), list) or isinstance(node.get("const"), str):
            return "string"
        raise DataError(f"Unsupported JSON Schema without a type: {_short(node)}")

    def _only_constraints(self, node: Mapping[str, Any], subschemas: list) -> bool:
        # {"type":"object", …, "oneOf":[{"required":["a"]},{"required":["b"]}]} is still an object.
        if "type" not in node and "properties" not in node:
            return False
        return all(isinstance(s, Mapping) and not any(k in s for k in _TYPE_KEYWORDS) for s in subschemas)

    def _merge_all_of(self, node: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required = list(merged.get("required") or [])
        for sub in node["allOf"]:
            sub = self.resolve(sub)
            if isinstance(sub, Mapping) and isinstance(sub.get("allOf"), list):
                sub = self._merge_all_of(sub)
            if not isinstance(sub, Mapping):
                continue
            for key, value in sub.items():
                if key == "properties" and isinstance(value, Mapping):
                    properties.update(value)
                elif key == "required" and isinstance(value, list):
                    required += [r for r in value if r not in required]
                elif key not in merged:
                    merged[key] = value
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged

    def _union(self, node: Mapping[str, Any], subschemas: list, version: int | None, force_optional: bool) -> Schema:
        resolved = [self.resolve(s) for s in subschemas]
        if len(resolved) == 2 and any(_null_only(s) for s in resolved):
            other = subschemas[0] if not _null_only(resolved[0]) else subschemas[1]
            if _null_only(self.resolve(other)):
                raise DataError("A JSON Schema that only allows null cannot be mapped to a Connect schema")
            return self.read(other, version, True)
        builder = SchemaBuilder.struct().name(JSON_TYPE_ONE_OF)
        index = 0
        for original, sub in zip(subschemas, resolved):
            if _null_only(sub):
                builder.optional()
            else:
                builder.field(f"{JSON_TYPE_ONE_OF}.field.{index}", self.read(original, None, True))
                index += 1
        return self._finish(builder, node, version, force_optional, named=True)

    def _builder(self, node: Mapping[str, Any], type_name: Any) -> SchemaBuilder:
        connect_type = node.get(CONNECT_TYPE_PROP)
        if type_name in ("integer", "number"):
            if connect_type is None:
                return SchemaBuilder.int64() if type_name == "integer" else SchemaBuilder.float64()
            if connect_type not in _NUMBER_TYPES:
                raise DataError(f"Unsupported type {connect_type}")
            return SchemaBuilder(_NUMBER_TYPES[connect_type])
        if type_name == "string":
            symbols = node.get("enum")
            if connect_type == "bytes":
                return SchemaBuilder.bytes()
            builder = SchemaBuilder.string()
            if isinstance(symbols, list):
                # JSON enums have no name: an empty placeholder, then one parameter per symbol.
                builder.parameter(JSON_TYPE_ENUM, "")
                for symbol in symbols:
                    text = NULL_MARKER if symbol is None else _java_string(symbol)
                    builder.parameter(f"{JSON_TYPE_ENUM}.{text}", text)
            return builder
        if type_name == "boolean":
            return SchemaBuilder.boolean()
        if type_name == "array":
            items = node.get("items")
            if items is None or isinstance(items, bool):
                raise DataError("Array schema did not specify the items type")
            if isinstance(items, list):
                raise DataError("Tuple arrays (items as a list) cannot be mapped to a Connect schema")
            resolved = self.resolve(items)
            if connect_type == "map" and isinstance(resolved, Mapping) and isinstance(resolved.get("properties"), Mapping):
                properties = resolved["properties"]
                if KEY_FIELD not in properties or VALUE_FIELD not in properties:
                    raise DataError("A connect.type map array needs items with key and value properties")
                return SchemaBuilder.map(self.read(properties[KEY_FIELD], None, False),
                                         self.read(properties[VALUE_FIELD], None, False))
            return SchemaBuilder.array(self.read(items, None, False))
        if type_name == "object":
            return self._object(node, connect_type)
        if type_name == "null":
            raise DataError("A JSON Schema that only allows null cannot be mapped to a Connect schema")
        raise DataError(f"Unsupported JSON Schema type {type_name!r}")

    def _object(self, node: Mapping[str, Any], connect_type: Any) -> SchemaBuilder:
        properties = node.get("properties")
        additional = node.get("additionalProperties")
        if connect_type == "map" or (not properties and isinstance(additional, Mapping)):
            if not isinstance(additional, Mapping):
                raise DataError("A map schema needs additionalProperties to describe its values")
            return SchemaBuilder.map(STRING_SCHEMA, self.read(additional, None, False))
        builder = SchemaBuilder.struct()
        if not isinstance(properties, Mapping):
            return builder
        required = node.get("required") if isinstance(node.get("required"), list) else []
        ordered = []
        for position, (name, sub) in enumerate(properties.items()):
            index = sub.get(CONNECT_INDEX_PROP) if isinstance(sub, Mapping) else None
            if isinstance(index, bool) or not isinstance(index, int):
                index = position
            ordered.append((index, position, name, sub))
        ordered.sort(key=lambda item: (item[0], item[1]))
        for _, _, name, sub in ordered:
            optional = self.data.optional_for_nonrequired and name not in required
            builder.field(name, self.read(sub, None, optional))
        return builder

    def _finish(self, builder: SchemaBuilder, node: Mapping[str, Any], version: int | None, force_optional: bool,
                named: bool = False) -> Schema:
        title = node.get("title")
        if isinstance(title, str) and not named:
            builder.name(title)
        connect_version = node.get(CONNECT_VERSION_PROP)
        if isinstance(connect_version, int) and not isinstance(connect_version, bool):
            builder.version(connect_version)
        elif version is not None:
            builder.version(version)
        if isinstance(node.get("description"), str):
            builder.doc(node["description"])
        parameters = node.get(CONNECT_PARAMETERS_PROP)
        if isinstance(parameters, Mapping):
            builder.parameters({str(k): _java_string(v) for k, v in parameters.items()})
        if force_optional:
            builder.optional()
        if node.get("default") is not None:
            from .jsonschema_values import NeedExact, ValueCodec

            decode = ValueCodec().decoder(builder.build())
            try:
                try:
                    default = decode(node["default"])
                except NeedExact:  # a decimal of more than 15 digits, parsed as a float: its repr()
                    default = decode(_json.loads(orjson.dumps(node["default"]), parse_float=_decimal.Decimal))
            except DataError as exc:
                raise DataError(f"Invalid default value in JSON Schema: {exc}") from exc
            if default is not None:
                builder.default_value(default)
        return builder.build()


def _union_keyword(member_types: list[frozenset[str]]) -> str:
    """oneOf (Confluent's keyword) when no value can match two members, else anyOf: JSON Schema's
    oneOf refuses a value that matches more than one (5 under int32 | int64)."""
    seen: set[str] = set()
    for types in member_types:
        if seen & types:
            return "anyOf"
        seen |= types
    return "oneOf"


def enum_symbols(parameters: Mapping[str, str]) -> list[Any] | None:
    """The symbols of an enum string schema (None for the null symbol), or None if it is no enum."""
    for param in (JSON_TYPE_ENUM, GENERALIZED_TYPE_ENUM):
        if param in parameters:
            prefix = param + "."
            return [None if k[len(prefix):] == NULL_MARKER else k[len(prefix):]
                    for k in parameters if k.startswith(prefix)]
    return None


def _java_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _plain_json(value: Any) -> Any:
    """orjson Fragments (exact NUMERIC decimals) as plain numbers, for a schema document."""
    if isinstance(value, orjson.Fragment):
        return orjson.loads(orjson.dumps(value))
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    return value


def _short(node: Any) -> str:
    text = orjson.dumps(node, default=str).decode()
    return text if len(text) <= 120 else text[:117] + "..."
