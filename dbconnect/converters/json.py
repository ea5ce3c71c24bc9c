"""JsonConverter (org.apache.kafka.connect.json.JsonConverter), wire-compatible with Kafka's.

Speed comes from doing the schema work once: for each schema the converter builds an encoder
and a decoder (struct ones are generated Python functions that read the Struct's value list
directly), and with ``schemas.enable`` it keeps the serialized ``{"schema":…,"payload":``
prefix, so a record costs one ``orjson.dumps`` of its payload. On the way in, a message whose
bytes start with the envelope prefix last seen on its topic skips re-reading the schema.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import decimal
import json as _stdjson
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ..api.data import (
    NULL_SCHEMA_AND_VALUE,
    Decimal,
    Schema,
    SchemaAndValue,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
)
from ..api.errors import DataError
from ..api.payload import JsonPayloadFormat, JsonRowStruct
from ..api.converter import HeaderConverter
from .base import Converter, config_key, parse_bool, parse_int
from .common import DECIMAL_FORMAT_CONFIG, BoundedCache, b64, invalid_type, node_type, parse_decimal_format
from .json_codec import (
    LOGICAL_NAMES, NON_FINITE_IN, JsonValueRules, NeedExact, decimal_number, shared_decoder,
    shared_encoder, struct_decoder, struct_encoder, with_null,
)

SCHEMAS_ENABLE_CONFIG = "schemas.enable"
SCHEMAS_CACHE_SIZE_CONFIG = "schemas.cache.size"
REPLACE_NULL_WITH_DEFAULT_CONFIG = "replace.null.with.default"

ENVELOPE_ERROR = (
    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain '
    "additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false "
    "in your converter configuration."
)
_READ_ERROR = "Converting byte[] to Kafka Connect data failed due to serialization error: "
_WRITE_ERROR = "Converting Kafka Connect data to byte[] failed due to serialization error: "

# Jackson writes non-finite doubles as these quoted strings; reading them back restores the float.
_NON_FINITE_OUT = {float("inf"): "Infinity", float("-inf"): "-Infinity"}
_NON_FINITE_IN = NON_FINITE_IN
_LOGICAL_NAMES = LOGICAL_NAMES
_orjson_loads = orjson.loads
_new_tuple = tuple.__new__  # SchemaAndValue(schema, value) without the namedtuple's Python-level __new__

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]


# The shared codec's names (json_codec.py), under this module's old private names.
_NeedExact = NeedExact
_decimal_number = decimal_number


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def _loads_exact(text: bytes | str) -> Any:
    return _stdjson.loads(text, parse_float=decimal.Decimal, parse_constant=_reject_constant)


def _non_finite_out(v: float) -> str:
    return _NON_FINITE_OUT.get(v, "NaN")


def _float_out(v: float) -> Any:
    return v if v - v == 0.0 else _NON_FINITE_OUT.get(v, "NaN")


# Kafka's envelope names the float types "float" and "double" (JsonSchema.FLOAT_TYPE_NAME…);
# "float32"/"float64" are accepted on read as well.
_ENVELOPE_TYPE_NAMES = {Type.FLOAT32: "float", Type.FLOAT64: "double"}
_ENVELOPE_TYPES = {"float": Type.FLOAT32, "double": Type.FLOAT64}


class _Entry:
    """What the converter keeps per schema on the way out."""

    __slots__ = ("encode", "prefix")

    def __init__(self, encode: Encoder, prefix: bytes):
        self.encode = encode
        self.prefix = prefix


class JsonConverter(Converter, HeaderConverter):  # a header.converter too, as in Kafka
    aliases = ("JsonConverter", "org.apache.kafka.connect.json.JsonConverter")
    no_bytes_for_null = True

    def __init__(self) -> None:
        self.schemas_enable = True
        self.cache_size = 1000
        self.decimal_format = "BASE64"
        self.replace_null_with_default = True
        self._reset()

    def _reset(self) -> None:
        # Kafka's value rules for the shared struct code generators (json_codec.py).
        self._rules = JsonValueRules(replace_null_with_default=self.replace_null_with_default, int_range_error=True,
                                     label="json")
        # NUMERIC decimals as str(Decimal) writes them (_decimal_number): exponents below 10⁻⁶.
        self.payload_format = JsonPayloadFormat(self.decimal_format, plain_decimals=False)
        self._entries = BoundedCache(self.cache_size)
        self._last_entry: tuple[Schema | None, _Entry | None] = (None, None)
        self._parsed = BoundedCache(self.cache_size)  # schema JSON text -> (Schema, decoder)
        # topic -> (envelope prefix, its length, schema, decoder) of the last message read on it
        self._prefixes: dict[str, tuple[bytes, int, Schema, Decoder]] = {}

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        super().configure(configs, is_key)
        get = configs.get
        self.schemas_enable = parse_bool(get(SCHEMAS_ENABLE_CONFIG, True), SCHEMAS_ENABLE_CONFIG)
        self.cache_size = parse_int(get(SCHEMAS_CACHE_SIZE_CONFIG, 1000), SCHEMAS_CACHE_SIZE_CONFIG)
        self.decimal_format = parse_decimal_format(configs)
        self.replace_null_with_default = parse_bool(
            get(REPLACE_NULL_WITH_DEFAULT_CONFIG, True), REPLACE_NULL_WITH_DEFAULT_CONFIG
        )
        self._reset()

    @classmethod
    def config_keys(cls) -> list[dict[str, Any]]:
        return super().config_keys() + [
            config_key(SCHEMAS_ENABLE_CONFIG, "BOOLEAN", True, "HIGH",
                       "Include schemas within each of the serialized values and keys.",
                       "Schemas", 0, "MEDIUM", "Enable Schemas"),
            config_key(SCHEMAS_CACHE_SIZE_CONFIG, "INT", 1000, "HIGH",
                       "The maximum number of schemas that can be cached in this converter instance.",
                       "Schemas", 1, "MEDIUM", "Schema Cache Size"),
            config_key(DECIMAL_FORMAT_CONFIG, "STRING", "BASE64", "LOW",
                       "Controls which format this converter will serialize decimals in. This value is case "
                       "insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
                       "Serialization", 0, "MEDIUM", "Decimal Format"),
            config_key(REPLACE_NULL_WITH_DEFAULT_CONFIG, "BOOLEAN", True, "LOW",
                       "Whether to replace fields that have a default value and that are null to the default "
                       "value. When set to true, the default value is used, otherwise null is used.",
                       "Serialization", 1, "MEDIUM", "Replace null with default"),
        ]

    # == Connect -> bytes ========================================================================

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Any = None) -> bytes | None:
        if schema is None:
            if value is None:
                return None
            payload = self._dumps(self._encode_any(value))
            return b'{"schema":null,"payload":' + payload + b"}" if self.schemas_enable else payload
        entry = self._entry(schema)
        if value.__class__ is JsonRowStruct:  # the source wrote the payload (api/payload.py)
            payload = value.payload(self.payload_format)
            if payload is not None:
                return entry.prefix + payload + b"}" if self.schemas_enable else payload
        if not self.schemas_enable:
            # A null value stays a null record (tombstone) rather than the text "null".
            return None if value is None else self._dumps(entry.encode(value))
        return entry.prefix + self._dumps(entry.encode(value)) + b"}"

    def json_payload_format(self) -> JsonPayloadFormat:
        return self.payload_format

    def json_payload_framing(self, topic: str, schema: Schema, payload_format: Any) -> tuple[bytes, bytes] | None:
        if payload_format is not self.payload_format:
            return None
        return (self._entry(schema).prefix, b"}") if self.schemas_enable else (b"", b"")

    @staticmethod
    def _dumps(obj: Any) -> bytes:
        try:
            return orjson.dumps(obj)
        except orjson.JSONEncodeError as exc:
            raise DataError(_WRITE_ERROR + str(exc)) from exc

    def _entry(self, schema: Schema) -> _Entry:
        last_schema, last = self._last_entry
        if last_schema is schema:
            return last  # type: ignore[return-value]
        entry = self._entries.get(schema)
        if entry is None:
            encode = self._encoder(schema)
            prefix = b'{"schema":' + orjson.dumps(self.as_json_schema(schema)) + b',"payload":'
            entry = self._entries.put(schema, _Entry(encode, prefix))
        self._last_entry = (schema, entry)
        return entry

    def as_json_schema(self, schema: Schema | None) -> dict[str, Any] | None:
        """The envelope's ``schema`` object, keys in the order Kafka's asJsonSchema writes them."""
        if schema is None:
            return None
        out: dict[str, Any] = {"type": _ENVELOPE_TYPE_NAMES.get(schema.type, schema.type.value)}
        t = schema.type
        if t is Type.ARRAY:
            out["items"] = self.as_json_schema(schema.value_schema)
        elif t is Type.MAP:
            out["keys"] = self.as_json_schema(schema.key_schema)
            out["values"] = self.as_json_schema(schema.value_schema)
        elif t is Type.STRUCT:
            out["fields"] = [{**self.as_json_schema(f.schema), "field": f.name} for f in schema.fields]
        out["optional"] = schema.optional
        if schema.name is not None:
            out["name"] = schema.name
        if schema.version is not None:
            out["version"] = schema.version
        if schema.doc is not None:
            out["doc"] = schema.doc
        if schema.parameters:
            out["parameters"] = dict(schema.parameters)
        if schema.default is not None:
            out["default"] = self._encoder(schema)(schema.default)
        return out

    def _encoder(self, schema: Schema) -> Encoder:
        """value -> JSON-ready object for ``schema``, null handling included."""
        base = self._base_encoder(schema)
        required = "Conversion error: null value for field that is required and has no default value"
        return with_null(base, self._rules.null_rule(schema, required, base))

    def _base_encoder(self, schema: Schema) -> Encoder:
        """Encoder for a non-null value."""
        name, t = schema.name, schema.type
        if name == Decimal.LOGICAL_NAME:
            if self.decimal_format == "NUMERIC":
                def numeric(v: Any) -> Any:
                    if not isinstance(v, decimal.Decimal):
                        raise DataError(f"Invalid type for Decimal, expected Decimal but was {type(v)}")
                    return _decimal_number(v)
                return numeric
            return lambda v: b64(Decimal.from_logical(schema, v))
        shared = shared_encoder(schema, self._encoder, self._rules, _non_finite_out)
        if shared is not None:
            return shared
        if t is Type.MAP:
            key, val = self._encoder(schema.key_schema), self._encoder(schema.value_schema)
            as_object = schema.key_schema.type is Type.STRING

            def mapping(v: Any) -> Any:
                if not isinstance(v, Mapping):
                    raise invalid_type(schema, v)
                if as_object:
                    return {key(k): val(x) for k, x in v.items()}
                return [[key(k), val(x)] for k, x in v.items()]
            return mapping
        return self._struct_encoder(schema)

    def _struct_encoder(self, schema: Schema) -> Encoder:
        return struct_encoder(schema, self._encoder, self._rules)

    def _encode_any(self, v: Any) -> Any:
        """Schemaless values: the JSON type follows the Python type."""
        t = type(v)
        if v is None or t is str or t is int or t is bool:
            return v
        if t is float:
            return _float_out(v)
        if t is dict or isinstance(v, Mapping):
            if all(type(k) is str for k in v):
                return {k: self._encode_any(x) for k, x in v.items()}
            return [[self._encode_any(k), self._encode_any(x)] for k, x in v.items()]
        if t is list or t is tuple:
            return [self._encode_any(x) for x in v]
        if isinstance(v, Struct):
            return self._entry(v.schema).encode(v)
        if isinstance(v, (bytes, bytearray, memoryview)):
            return b64(v)
        if isinstance(v, decimal.Decimal):
            return _decimal_number(v)
        if isinstance(v, _dt.datetime):
            return Timestamp.from_logical(None, v)
        if isinstance(v, _dt.date):  # as java.util.Date would be: epoch millis at midnight UTC
            return Timestamp.from_logical(None, v)
        if isinstance(v, _dt.time):
            return Time.from_logical(None, v)
        if isinstance(v, bool):
            return bool(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return _float_out(float(v))
        if isinstance(v, str):
            return str(v)
        if isinstance(v, (list, tuple, set, frozenset)):
            return [self._encode_any(x) for x in v]
        raise DataError(f"Python class {t} does not have corresponding schema type.")

    # == bytes -> Connect ========================================================================

    def to_connect_data(self, topic: str, value: bytes | None, headers: Any = None) -> SchemaAndValue:
        if value is None:
            return NULL_SCHEMA_AND_VALUE
        if type(value) is not bytes:
            value = bytes(value)
        if not self.schemas_enable:
            return SchemaAndValue(None, self._loads(value))
        hit = self._prefixes.get(topic)
        if hit is not None:
            prefix, start, schema, decode = hit
            if value.startswith(prefix):
                # The payload alone is parsed: one slice when the message ends in "}" (the usual case).
                if value[-1] == 125:  # b"}"
                    body = value[start:-1]
                else:
                    body = value[start:].rstrip()
                    body = body[:-1] if body.endswith(b"}") else None
                if body is not None:
                    try:
                        payload = _orjson_loads(body)
                    except orjson.JSONDecodeError:
                        pass  # not a plain envelope after all: take the general path for its error
                    else:
                        try:
                            return _new_tuple(SchemaAndValue, (schema, decode(payload)))
                        except _NeedExact:
                            return SchemaAndValue(schema, decode(self._loads(body, exact=True)))
        doc = self._loads(value)
        try:
            return self._from_envelope(topic, value, doc, exact=False)
        except _NeedExact:
            return self._from_envelope(topic, value, self._loads(value, exact=True), exact=True)

    @staticmethod
    def _loads(value: bytes, exact: bool = False) -> Any:
        try:
            return _loads_exact(value) if exact else orjson.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            if not value.strip():
                return None  # Jackson reads empty input as a missing node, i.e. null
            raise DataError(_READ_ERROR + str(exc)) from exc

    def _from_envelope(self, topic: str, value: bytes, doc: Any, exact: bool) -> SchemaAndValue:
        if type(doc) is not dict or len(doc) != 2 or "schema" not in doc or "payload" not in doc:
            raise DataError(ENVELOPE_ERROR)
        schema_node, payload = doc["schema"], doc["payload"]
        if schema_node is None:
            return SchemaAndValue(None, payload)
        key = orjson.dumps(schema_node, default=_decimal_number) if exact else orjson.dumps(schema_node)
        cached = self._parsed.get(key)
        if cached is None:
            schema = self.as_connect_schema(schema_node)
            cached = self._parsed.put(key, (schema, self._decoder(schema)))
        schema, decode = cached
        prefix = b'{"schema":' + key + b',"payload":'
        if value.startswith(prefix):
            self._prefixes[topic] = (prefix, len(prefix), schema, decode)
        return SchemaAndValue(schema, decode(payload))

    def as_connect_schema(self, node: Any) -> Schema | None:
        """Kafka's asConnectSchema: the envelope's schema object back to a Schema."""
        if node is None:
            return None
        type_name = node.get("type") if isinstance(node, dict) else None
        if not isinstance(type_name, str):
            raise DataError("Schema must contain 'type' field")
        if type_name == "array":
            items = node.get("items")
            if items is None:
                raise DataError("Array schema did not specify the element type")
            builder = SchemaBuilder.array(self.as_connect_schema(items))
        elif type_name == "map":
            if "keys" not in node:
                raise DataError("Map schema did not specify the key type")
            if "values" not in node:
                raise DataError("Map schema did not specify the value type")
            builder = SchemaBuilder.map(self.as_connect_schema(node["keys"]), self.as_connect_schema(node["values"]))
        elif type_name == "struct":
            fields = node.get("fields")
            if not isinstance(fields, list):
                raise DataError('Struct schema\'s "fields" argument is not an array.')
            builder = SchemaBuilder.struct()
            for field in fields:
                field_name = field.get("field") if isinstance(field, dict) else None
                if not isinstance(field_name, str):
                    raise DataError("Struct schema's field name not specified properly")
                builder.field(field_name, self.as_connect_schema(field))
        else:
            try:
                builder = SchemaBuilder(_ENVELOPE_TYPES.get(type_name) or Type(type_name))
            except ValueError:
                raise DataError(f"Unknown schema type: {type_name}") from None
        if node.get("optional") is True:
            builder.optional()
        if isinstance(node.get("name"), str):
            builder.name(node["name"])
        version = node.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            builder.version(version)
        if isinstance(node.get("doc"), str):
            builder.doc(node["doc"])
        params = node.get("parameters")
        if isinstance(params, dict):
            for k, v in params.items():
                if not isinstance(v, str):
                    raise DataError("Schema parameters must have string values.")
                builder.parameter(k, v)
        if "default" in node:
            default = self._decoder(builder.build())(node["default"])
            if default is not None:
                builder.default_value(default)
        return builder.build()

    def _decoder(self, schema: Schema) -> Decoder:
        """JSON value -> Connect value for ``schema``, null handling included (convertToConnect)."""
        message = f"Invalid null value for required {schema.type.name} field"
        if schema.type is Type.STRUCT and schema.name not in _LOGICAL_NAMES:
            # The generated decoder handles null itself, off its fast path: no wrapper call.
            return self._struct_decoder(schema, self._rules.null_rule(schema, message))
        return with_null(self._base_decoder(schema), self._rules.null_rule(schema, message))

    def _base_decoder(self, schema: Schema) -> Decoder:
        name, t = schema.name, schema.type
        if name == Decimal.LOGICAL_NAME:
            def to_decimal(v: Any) -> Any:
                if type(v) is str:
                    try:
                        return Decimal.to_logical(schema, base64.b64decode(v, validate=True))
                    except (binascii.Error, ValueError, DataError) as exc:
                        raise DataError(f"Invalid bytes for Decimal field: {exc}") from exc
                if type(v) is float:
                    raise _NeedExact()
                if isinstance(v, decimal.Decimal):
                    return v
                if type(v) is int:
                    return decimal.Decimal(v)
                raise DataError("Invalid type for Decimal, underlying representation should be numeric or bytes "
                                f"but was {node_type(v)}")
            return to_decimal
        shared = shared_decoder(schema, self._decoder, self._rules)
        if shared is not None:
            return shared
        if t is Type.MAP:
            return self._map_decoder(schema)
        return self._struct_decoder(schema)

    def _map_decoder(self, schema: Schema) -> Decoder:
        key, val = self._decoder(schema.key_schema), self._decoder(schema.value_schema)
        if schema.key_schema.type is Type.STRING:
            def object_map(v: Any) -> Any:
                if type(v) is not dict:
                    raise DataError(f"Maps with string fields should be encoded as JSON objects, but found {node_type(v)}")
                return {key(k): val(x) for k, x in v.items()}
            return object_map

        def pairs_map(v: Any) -> Any:
            if type(v) is not list:
                raise DataError(
                    f"Maps with non-string fields should be encoded as JSON array of tuples, but found {node_type(v)}"
                )
            result = {}
            for entry in v:
                if type(entry) is not list:
                    raise DataError(f"Found invalid map entry instead of array tuple: {node_type(entry)}")
                if len(entry) != 2:
                    raise DataError(f"Found invalid map entry, expected length 2 but found :{len(entry)}")
                result[key(entry[0])] = val(entry[1])
            return result
        return pairs_map

    def _struct_decoder(self, schema: Schema, null: tuple[bool, Any] | None = None) -> Decoder:
        """``null``: (True, error message) or (False, value) for a JSON null; None: not an object."""
        return struct_decoder(schema, self._decoder, self._rules, null=null)
