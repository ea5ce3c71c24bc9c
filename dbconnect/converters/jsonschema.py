"""JsonSchemaConverter (io.confluent.connect.json.JsonSchemaConverter), wire-compatible with Confluent's.

Records are ``0x00`` + a 4-byte big-endian schema id + UTF-8 JSON; the JSON Schema for a Connect
schema is registered (or looked up) in a Confluent-compatible Schema Registry. The registry is
asked once per (topic, schema): after that a record costs one encoder call (generated per
schema), one ``orjson.dumps`` and the 5-byte prefix. On the way in, each schema id is fetched
and mapped to a Connect schema once.

Unlike Confluent's converter by default, every record written validates against the schema
registered for it: Decimals are exact JSON numbers (``decimal.format=NUMERIC``, the default
here; BASE64 registers them as strings) and NaN/±Infinity floats, which JSON has no number for,
are refused unless ``non.finite.floats=STRING``.
"""

from __future__ import annotations

import decimal
import json as _stdjson
import logging
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from jsonschema import validators
from jsonschema.exceptions import best_match

from ..api.data import NULL_SCHEMA_AND_VALUE, Schema, SchemaAndValue, Type
from ..api.errors import ConfigError, DataError
from ..api.payload import JsonPayloadFormat, JsonRowStruct
from ..api.sink_rows import RowDecoder, RowDecoding
from ..registry.client import (
    CREDENTIALS_SOURCE_CONFIG,
    URL_CONFIG,
    USER_INFO_CONFIG,
    SchemaRegistryClient,
    acquire_client,
    release_client,
)
from ..registry.errors import SchemaRegistryError, SchemaRegistryUnavailableError
from .jsonschema_data import JSON_TYPE_ONE_OF, JsonSchemaData
from .jsonschema_structs import struct_decoder
from .jsonschema_values import NeedExact, ValueCodec
from .base import Converter, config_key, parse_bool, parse_int
from .common import (
    DECIMAL_FORMAT_CONFIG,
    NON_FINITE_FLOATS_CONFIG,
    BoundedCache,
    parse_decimal_format,
    parse_non_finite_floats,
)

__all__ = ["JsonSchemaConverter", "SUBJECT_NAME_STRATEGIES", "subject_name_strategy", "topic_name_strategy",
           "record_name_strategy", "topic_record_name_strategy", "MAGIC_BYTE"]

log = logging.getLogger(__name__)

MAGIC_BYTE = 0
AUTO_REGISTER_CONFIG = "auto.register.schemas"
USE_LATEST_CONFIG = "use.latest.version"
LATEST_STRICT_CONFIG = "latest.compatibility.strict"
USE_SCHEMA_ID_CONFIG = "use.schema.id"
NORMALIZE_CONFIG = "normalize.schemas"
KEY_STRATEGY_CONFIG = "key.subject.name.strategy"
VALUE_STRATEGY_CONFIG = "value.subject.name.strategy"
FAIL_INVALID_CONFIG = "json.fail.invalid.schema"
ADDITIONAL_PROPERTIES_CONFIG = "object.additional.properties"
OPTIONAL_NONREQUIRED_CONFIG = "use.optional.for.nonrequired"
CACHE_SIZE_CONFIG = "schemas.cache.size"
STRATEGY_PACKAGE = "io.confluent.kafka.serializers.subject."

# Not Confluent's defaults (BASE64, and NaN written as a string): with these every record matches
# the JSON Schema registered for it, which validating readers such as confluent-kafka check.
DEFAULT_DECIMAL_FORMAT = "NUMERIC"
DEFAULT_NON_FINITE_FLOATS = "FAIL"

_NO_SCHEMA = object()  # never a record's schema (None is one: schemaless)
_NO_HEADER = b"\x01"  # an invalid magic byte: never the header of a cached reader
_orjson_loads = orjson.loads
_new_tuple = tuple.__new__  # SchemaAndValue(schema, value) without the namedtuple's Python-level __new__
_WRITE_ERROR = "Converting Kafka Connect data to byte[] failed due to serialization error of topic {}: "
_READ_ERROR = "Converting byte[] to Kafka Connect data failed due to serialization error of topic {}: "


# -- subject name strategies (callables, as in Confluent's serde) --------------------------------

def topic_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    return f"{topic}-{'key' if is_key else 'value'}"


def record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    return _record_name(record_name, "RecordNameStrategy")


def topic_record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    return f"{topic}-{_record_name(record_name, 'TopicRecordNameStrategy')}"


def _record_name(record_name: str | None, strategy: str) -> str:
    if not record_name:
        raise DataError(f"{strategy} needs a record name: the Connect schema has no name (JSON Schema title)")
    return record_name


SUBJECT_NAME_STRATEGIES: dict[str, Callable[[str, bool, str | None], str]] = {
    "TopicNameStrategy": topic_name_strategy,
    "RecordNameStrategy": record_name_strategy,
    "TopicRecordNameStrategy": topic_record_name_strategy,
}


def subject_name_strategy(name: Any, key: str = VALUE_STRATEGY_CONFIG) -> Callable[[str, bool, str | None], str]:
    """A strategy by short name or Confluent class name; ConfigError (Kafka's CLASS wording) otherwise."""
    text = str(name).strip() if name is not None else ""
    short = text[len(STRATEGY_PACKAGE):] if text.startswith(STRATEGY_PACKAGE) else text
    strategy = SUBJECT_NAME_STRATEGIES.get(short)
    if strategy is None:
        message = f"Class {text} could not be found."
        raise ConfigError(f"Invalid value {text} for configuration {key}: {message}", {key: [message]})
    return strategy


# -- small pieces ---------------------------------------------------------------------------------

class _Writer:
    """What the converter keeps per (topic, schema): the 5-byte prefix and the encoder."""

    __slots__ = ("prefix", "encode", "validate")

    def __init__(self, prefix: bytes, encode: Callable[[Any], Any], validate: Callable[[bytes], None] | None):
        self.prefix = prefix
        self.encode = encode
        self.validate = validate


class _Reader:
    __slots__ = ("schema", "decode", "validate", "exact")

    def __init__(self, schema: Schema, decode: Callable[[Any], Any], validate: Callable[[Any], str | None] | None):
        self.schema = schema
        self.decode = decode
        self.validate = validate
        # A record of this schema had a Decimal as a JSON number (decimal.format=NUMERIC), which
        # orjson reads as a float: the next ones are read exactly at once.
        self.exact = False


def _exact_json() -> Callable[[Any], Any]:
    """bytes → JSON with every non-integer number as an exact Decimal (json.loads with parse_float).

    One decoder for the converter: json.loads(..., parse_float=...) builds a new one per call,
    which cost 3/4 of its time.
    """
    decode = _stdjson.JSONDecoder(parse_float=decimal.Decimal).decode

    def loads(body: Any) -> Any:
        data = bytes(body)
        return decode(data.decode(_stdjson.detect_encoding(data), "surrogatepass"))
    return loads


def _compile_validator(document: Any) -> Callable[[Any], str | None]:
    """A compiled ``jsonschema`` validator: instance -> None, or the best error's message."""
    cls = validators.validator_for(document, default=validators.Draft7Validator)
    validator = cls(document)

    def problem(instance: Any) -> str | None:
        error = best_match(validator.iter_errors(instance))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return f"JSON does not match its schema{' at #/' + where if where else ''}: {error.message}"
    return problem


class JsonSchemaConverter(Converter, RowDecoding):
    aliases = ("JsonSchemaConverter", "io.confluent.connect.json.JsonSchemaConverter")
    no_bytes_for_null = True

    def __init__(self, client: SchemaRegistryClient | None = None) -> None:
        self._given_client = client  # tests and tools may pass their own (never released here)
        self.client: SchemaRegistryClient | None = client
        self.auto_register = True
        self.use_latest_version = False
        self.latest_compatibility_strict = True
        self.use_schema_id = -1
        self.normalize = False
        self.fail_invalid = False
        self.decimal_format = DEFAULT_DECIMAL_FORMAT
        self.non_finite_floats = DEFAULT_NON_FINITE_FLOATS
        self.cache_size = 1000
        self.strategy = topic_name_strategy
        self.data = JsonSchemaData()
        self._reset()

    def _reset(self) -> None:
        self._loads_exact = _exact_json()
        self.codec = ValueCodec(self.decimal_format, self.non_finite_floats)
        self.payload_format = JsonPayloadFormat(self.decimal_format, self.non_finite_floats)
        self._writers = BoundedCache(self.cache_size)
        self._readers = BoundedCache(self.cache_size)
        self._texts = BoundedCache(self.cache_size)  # Schema -> (JSON Schema text, document)
        self._validators = BoundedCache(self.cache_size)  # schema id -> compiled validator
        self._row_decoders = BoundedCache(self.cache_size)  # schema id -> RowDecoder (sink fast path)
        self._forget_last()

    def _forget_last(self) -> None:
        self._last_schema: Any = _NO_SCHEMA
        self._last_topic: str | None = None
        self._last_prefix = b""
        self._last_encode: Callable[[Any], Any] | None = None
        # Reading: the 5-byte header (magic byte, schema id) of the last record read and its reader.
        self._last_header = _NO_HEADER
        self._last_reader: _Reader | None = None

    # == configuration ===============================================================================

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        super().configure(configs, is_key)
        get = configs.get
        self.auto_register = parse_bool(get(AUTO_REGISTER_CONFIG, True), AUTO_REGISTER_CONFIG)
        self.use_latest_version = parse_bool(get(USE_LATEST_CONFIG, False), USE_LATEST_CONFIG)
        self.latest_compatibility_strict = parse_bool(get(LATEST_STRICT_CONFIG, True), LATEST_STRICT_CONFIG)
        self.use_schema_id = parse_int(get(USE_SCHEMA_ID_CONFIG, -1), USE_SCHEMA_ID_CONFIG)
        self.normalize = parse_bool(get(NORMALIZE_CONFIG, False), NORMALIZE_CONFIG)
        self.fail_invalid = parse_bool(get(FAIL_INVALID_CONFIG, False), FAIL_INVALID_CONFIG)
        self.cache_size = parse_int(get(CACHE_SIZE_CONFIG, 1000), CACHE_SIZE_CONFIG)
        self.decimal_format = parse_decimal_format(configs, DEFAULT_DECIMAL_FORMAT)
        self.non_finite_floats = parse_non_finite_floats(configs, DEFAULT_NON_FINITE_FLOATS)
        key_strategy = subject_name_strategy(get(KEY_STRATEGY_CONFIG, "TopicNameStrategy"), KEY_STRATEGY_CONFIG)
        value_strategy = subject_name_strategy(get(VALUE_STRATEGY_CONFIG, "TopicNameStrategy"), VALUE_STRATEGY_CONFIG)
        self.strategy = key_strategy if is_key else value_strategy
        self.data = JsonSchemaData(
            decimal_format=self.decimal_format,
            additional_properties=parse_bool(get(ADDITIONAL_PROPERTIES_CONFIG, True), ADDITIONAL_PROPERTIES_CONFIG),
            optional_for_nonrequired=parse_bool(get(OPTIONAL_NONREQUIRED_CONFIG, False), OPTIONAL_NONREQUIRED_CONFIG),
            non_finite_floats=self.non_finite_floats,
        )
        if self._given_client is None:
            client = acquire_client(configs)  # validates url and credentials (ConfigError)
            if self.client is not None:
                release_client(self.client)
            self.client = client
        self._reset()

    @classmethod
    def config_keys(cls) -> list[dict[str, Any]]:
        serde, data = "Schema Registry", "JSON Schema"
        return super().config_keys() + [
            config_key(URL_CONFIG, "LIST", None, "HIGH", "Comma-separated list of Schema Registry URLs; the next "
                       "one is tried when one cannot be reached.", serde, 0, required=True),
            config_key(CREDENTIALS_SOURCE_CONFIG, "STRING", "URL", "MEDIUM", "Where basic-auth credentials come "
                       "from: URL (user:password@ in the URL) or USER_INFO (basic.auth.user.info).", serde, 1),
            config_key(USER_INFO_CONFIG, "PASSWORD", None, "MEDIUM", "user:password for basic auth "
                       "(schema.registry.basic.auth.user.info is accepted too).", serde, 2),
            config_key(AUTO_REGISTER_CONFIG, "BOOLEAN", True, "MEDIUM", "Register the record's schema under its "
                       "subject if it is not registered yet.", serde, 3),
            config_key(USE_LATEST_CONFIG, "BOOLEAN", False, "LOW", "Write records with the latest registered "
                       "schema of the subject (when auto.register.schemas=false).", serde, 4),
            config_key(LATEST_STRICT_CONFIG, "BOOLEAN", True, "LOW", "With use.latest.version, check that the "
                       "record's schema is compatible with the latest version.", serde, 5),
            config_key(USE_SCHEMA_ID_CONFIG, "INT", -1, "LOW", "Write records with this schema id "
                       "(when auto.register.schemas=false).", serde, 6),
            config_key(NORMALIZE_CONFIG, "BOOLEAN", False, "LOW", "Ask the registry to normalize schemas when "
                       "registering or looking them up.", serde, 7),
            config_key(KEY_STRATEGY_CONFIG, "CLASS", "io.confluent.kafka.serializers.subject.TopicNameStrategy",
                       "MEDIUM", "Subject of record keys: TopicNameStrategy, RecordNameStrategy or "
                       "TopicRecordNameStrategy.", serde, 8),
            config_key(VALUE_STRATEGY_CONFIG, "CLASS", "io.confluent.kafka.serializers.subject.TopicNameStrategy",
                       "MEDIUM", "Subject of record values: TopicNameStrategy, RecordNameStrategy or "
                       "TopicRecordNameStrategy.", serde, 9),
            config_key(FAIL_INVALID_CONFIG, "BOOLEAN", False, "MEDIUM", "Validate each record against its JSON "
                       "Schema and fail the ones that do not match.", data, 0),
            config_key(DECIMAL_FORMAT_CONFIG, "STRING", DEFAULT_DECIMAL_FORMAT, "LOW", "How decimals are written: "
                       "NUMERIC (default: an exact JSON number under a \"number\" schema) or BASE64 (Confluent's "
                       "default: the unscaled value's base64 under a \"string\" schema).", data, 1),
            config_key(NON_FINITE_FLOATS_CONFIG, "STRING", DEFAULT_NON_FINITE_FLOATS, "LOW", "What becomes of "
                       "NaN and Infinity float values, which JSON has no number for: FAIL (default) fails the "
                       "record; STRING writes \"NaN\", \"Infinity\" or \"-Infinity\" as Confluent does, which "
                       "do not match the \"number\" schema.", data, 2),
            config_key(ADDITIONAL_PROPERTIES_CONFIG, "BOOLEAN", True, "MEDIUM", "Whether object schemas written "
                       "for structs allow additional properties.", data, 3),
            config_key(OPTIONAL_NONREQUIRED_CONFIG, "BOOLEAN", False, "MEDIUM", "Whether properties missing from "
                       "\"required\" become optional fields.", data, 4),
            config_key(CACHE_SIZE_CONFIG, "INT", 1000, "LOW", "Size of the converted schemas cache.", data, 5),
        ]

    def json_payload_format(self) -> JsonPayloadFormat:
        return self.payload_format

    def json_payload_framing(self, topic: str, schema: Schema, payload_format: Any) -> tuple[bytes, bytes] | None:
        if payload_format is not self.payload_format:
            return None
        entry = self._writer(topic, schema)  # registers or looks up the schema (DataError if it can't)
        return None if entry.validate is not None else (entry.prefix, b"")

    def close(self) -> None:
        if self.client is not None and self._given_client is None:
            release_client(self.client)
        self.client = None

    def _client(self) -> SchemaRegistryClient:
        if self.client is None:
            raise ConfigError(f'Missing required configuration "{URL_CONFIG}" which has no default value.')
        return self.client

    # == Connect -> bytes ============================================================================

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Any = None) -> bytes | None:
        if value is None:
            return None  # a null record (tombstone): no framing and no registration
        if schema is self._last_schema and topic == self._last_topic:
            # Steady state: same schema and topic as the previous record, no validation.
            try:
                if value.__class__ is JsonRowStruct:  # the source wrote the JSON (api/payload.py)
                    payload = value.payload(self.payload_format)
                    if payload is not None:
                        return self._last_prefix + payload
                return self._last_prefix + orjson.dumps(self._last_encode(value))
            except orjson.JSONEncodeError as exc:
                raise DataError(_WRITE_ERROR.format(topic) + str(exc)) from exc
        entry = self._writer(topic, schema)
        try:
            payload = value.payload(self.payload_format) if value.__class__ is JsonRowStruct else None
            if payload is None:
                payload = orjson.dumps(entry.encode(value))
        except orjson.JSONEncodeError as exc:
            raise DataError(_WRITE_ERROR.format(topic) + str(exc)) from exc
        if entry.validate is not None:
            entry.validate(payload)
        return entry.prefix + payload

    def schema_text(self, schema: Schema) -> str:
        """The JSON Schema text registered for a Connect schema."""
        return self._schema_document(schema)[0]

    def _schema_document(self, schema: Schema) -> tuple[str, Any]:
        cached = self._texts.get(schema)
        if cached is None:
            document = self.data.from_connect_schema(schema)
            cached = self._texts.put(schema, (orjson.dumps(document).decode(), document))
        return cached

    def subject(self, topic: str, schema: Schema | None) -> str:
        return self.strategy(topic, self.is_key, schema.name if schema is not None else None)

    def _writer(self, topic: str, schema: Schema | None) -> _Writer:
        if schema is None:
            raise DataError(_WRITE_ERROR.format(topic) + "JsonSchemaConverter needs a schema: a schemaless value "
                            "cannot be written with a JSON Schema")
        key = (topic, schema)
        entry = self._writers.get(key)
        if entry is None:
            text, document = self._schema_document(schema)
            subject = self.subject(topic, schema)
            schema_id, document = self._schema_id(topic, subject, text, document)
            validate = None
            if self.fail_invalid:
                problem = self._validator(schema_id, document)

                def validate(payload: bytes) -> None:
                    message = problem(orjson.loads(payload))
                    if message is not None:
                        raise DataError(_WRITE_ERROR.format(topic) + message)
            entry = self._writers.put(key, _Writer(b"\x00" + schema_id.to_bytes(4, "big"),
                                                   self.codec.encoder(schema), validate))
        if entry.validate is None:  # the fast path in from_connect_data skips validation
            self._last_schema, self._last_topic = schema, topic
            self._last_prefix, self._last_encode = entry.prefix, entry.encode
        return entry

    def _validator(self, schema_id: int, document: Any) -> Callable[[Any], str | None]:
        """The compiled validator of a schema id (compiled once, shared by both directions)."""
        problem = self._validators.get(schema_id)
        if problem is None:
            problem = self._validators.put(schema_id, _compile_validator(document))
        return problem

    def _schema_id(self, topic: str, subject: str, text: str, document: Any) -> tuple[int, Any]:
        """Confluent's serializer decision order: auto-register, use.schema.id, latest, lookup."""
        client = self._client()
        what = ""
        try:
            if self.auto_register:
                what = "Error registering JSON schema: "
                return client.register(subject, text, "JSON", normalize=self.normalize), document
            if self.use_schema_id >= 0:
                what = f"Error retrieving schema ID {self.use_schema_id}: "
                found, schema_type = client.get_schema(self.use_schema_id)
                if schema_type != "JSON":
                    raise DataError(_WRITE_ERROR.format(topic) + f"{what}it is a {schema_type} schema, not JSON")
                return self.use_schema_id, orjson.loads(found)
            if self.use_latest_version:
                what = "Error retrieving latest version: "
                latest = client.get_latest_version(subject)
                if self.latest_compatibility_strict and latest.schema != text and not client.test_compatibility(
                        subject, text, latest.version):
                    raise DataError(
                        _WRITE_ERROR.format(topic) + f"Incompatible schema: the latest version {latest.version} of "
                        f"subject {subject} is not compatible with the record's schema {text}. Set "
                        f"{LATEST_STRICT_CONFIG}=false to disable this check")
                return latest.id, orjson.loads(latest.schema)
            what = "Error retrieving JSON schema: "
            return client.lookup(subject, text, "JSON", normalize=self.normalize).id, document
        except SchemaRegistryUnavailableError:
            raise  # not a DataError: the record is fine, nothing may be written without an id
        except SchemaRegistryError as exc:
            raise DataError(_WRITE_ERROR.format(topic) + f"{what}subject {subject}: {exc}") from exc

    # == bytes -> Connect ============================================================================

    def to_connect_data(self, topic: str, value: bytes | None, headers: Any = None) -> SchemaAndValue:
        if value is None:
            return NULL_SCHEMA_AND_VALUE
        reader = self._last_reader
        if reader is not None and value.__class__ is bytes and value.startswith(self._last_header):
            # Steady state: the schema id of the previous record (no validation configured).
            try:
                if reader.exact:
                    return _new_tuple(SchemaAndValue, (reader.schema, reader.decode(self._loads_exact(value[5:]))))
                return _new_tuple(SchemaAndValue, (reader.schema, reader.decode(_orjson_loads(value[5:]))))
            except (ValueError, NeedExact):  # orjson.JSONDecodeError, json's, bad UTF-8 are ValueErrors
                pass  # the general path below gives the error or the exact reading
        if len(value) < 5 or value[0] != MAGIC_BYTE:
            if len(value) >= 1 and value[0] != MAGIC_BYTE:
                raise DataError(_READ_ERROR.format(topic) + "Unknown magic byte!")
            raise DataError(_READ_ERROR.format(topic) + f"Invalid JSON Schema message of {len(value)} byte(s): "
                            "expected a magic byte and a 4-byte schema id")
        schema_id = int.from_bytes(value[1:5], "big")
        reader = self._readers.get(schema_id)
        if reader is None:
            reader = self._reader(topic, schema_id)
        if reader.validate is None:
            self._last_header, self._last_reader = bytes(value[:5]), reader
        body = memoryview(value)[5:]
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise DataError(_READ_ERROR.format(topic) + f"Error deserializing JSON message for id {schema_id}: "
                            f"{exc}") from exc
        if reader.validate is not None:
            message = reader.validate(document)
            if message is not None:
                raise DataError(_READ_ERROR.format(topic) + message)
        try:
            return SchemaAndValue(reader.schema, reader.decode(document))
        except NeedExact:
            reader.exact = True
            return SchemaAndValue(reader.schema, reader.decode(self._loads_exact(body)))

    def row_decoder(self, topic: str, data: bytes) -> RowDecoder | None:
        """The sink fast path's decoder for ``data``'s schema id (api/sink_rows.py): the same
        decoding as ``to_connect_data``'s, a struct's values list in place of the Struct.

        None when records of this id are validated (json.fail.invalid.schema) or unknown yet.
        A message the decoder raises on (bad JSON, a Decimal that needs the exact parse …) goes
        through ``to_connect_data``, which decides; it also switches the reader to the exact
        parse, which the decoder follows.
        """
        if data.__class__ is not bytes or len(data) < 5 or data[0] != MAGIC_BYTE:
            return None
        schema_id = int.from_bytes(data[1:5], "big")
        found = self._row_decoders.get(schema_id)
        if found is not None:
            return found
        reader = self._readers.get(schema_id)
        if reader is None or reader.validate is not None:
            return None
        schema = reader.schema
        struct = schema.type is Type.STRUCT and schema.name != JSON_TYPE_ONE_OF
        # A struct value is a JSON object (anything else — null included — raises in the
        # generated decoder and takes the ordinary path, which applies the schema's null rules).
        loads, loads_exact = _orjson_loads, self._loads_exact
        project = None
        if struct:  # one generated function per message: parse and decode (jsonschema_structs)
            payload = (5, reader, loads, loads_exact)
            decode = struct_decoder(schema, self.codec.decoder, as_values=True, payload=payload)

            def project(indices: tuple[int, ...]) -> Callable[[bytes], tuple]:
                # Generated once per shape by the runtime (it caches the shape's decoders).
                return struct_decoder(schema, self.codec.decoder, as_values=True, payload=payload,
                                      project=indices)
        else:
            decode_document = reader.decode

            def decode(data: bytes) -> Any:
                if reader.exact:
                    return decode_document(loads_exact(data[5:]))
                return decode_document(loads(data[5:]))
        return self._row_decoders.put(schema_id, RowDecoder(bytes(data[:5]), schema, decode, struct, project))

    def _reader(self, topic: str, schema_id: int) -> _Reader:
        client = self._client()
        try:
            text, schema_type = client.get_schema(schema_id)
        except SchemaRegistryUnavailableError:
            raise
        except SchemaRegistryError as exc:
            raise DataError(_READ_ERROR.format(topic) + f"Error retrieving JSON schema for id {schema_id}: {exc}") from exc
        if schema_type != "JSON":
            raise DataError(_READ_ERROR.format(topic) + f"Schema id {schema_id} is a {schema_type} schema, not JSON")
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise DataError(_READ_ERROR.format(topic) + f"Schema id {schema_id} is not valid JSON: {exc}") from exc
        try:
            schema = self.data.to_connect_schema(document, self._registered_version(topic, document, text))
        except DataError as exc:
            raise DataError(_READ_ERROR.format(topic) + f"Schema id {schema_id}: {exc}") from exc
        validate = self._validator(schema_id, document) if self.fail_invalid else None
        return self._readers.put(schema_id, _Reader(schema, self.codec.decoder(schema), validate))

    def _registered_version(self, topic: str, document: Any, text: str) -> int | None:
        # Confluent gives the top-level Connect schema the registry's version of the schema under
        # the record's subject (unless connect.version is set). One cached lookup per schema id;
        # a schema that is not under that subject simply gets no version.
        title = document.get("title") if isinstance(document, dict) else None
        try:
            subject = self.strategy(topic, self.is_key, title if isinstance(title, str) else None)
            return self._client().lookup(subject, text, "JSON").version
        except SchemaRegistryUnavailableError:
            raise
        except (SchemaRegistryError, DataError) as exc:
            log.debug("No registered version for a schema read on %s: %s", topic, exc)
            return None
