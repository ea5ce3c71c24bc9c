"""StringConverter (org.apache.kafka.connect.storage.StringConverter)."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

from ..api.data import OPTIONAL_STRING_SCHEMA, Schema, SchemaAndValue
from ..api.errors import ConfigError, DataError
from ..api.converter import HeaderConverter
from .base import Converter, config_key

ENCODING_CONFIG = "converter.encoding"
DEFAULT_ENCODING = "UTF-8"


def _codec(encoding: Any, key: str) -> str:
    try:
        return codecs.lookup(str(encoding).strip()).name
    except LookupError:
        raise ConfigError(
            f"Invalid value {encoding} for configuration {key}: Unsupported encoding",
            {key: ["Unsupported encoding"]},
        ) from None


# Immutable, so one instance serves every null key and value.
_NULL_STRING = SchemaAndValue(OPTIONAL_STRING_SCHEMA, None)


class StringConverter(Converter, HeaderConverter):  # a header.converter too, as in Kafka
    """Writes ``str(value)`` in the configured charset; reads an optional string.

    Java charsets differ from Python codecs in two places that matter on the wire: ``UTF-16``
    writes big-endian with a BOM (Python would use the machine's byte order), and unmappable
    characters become ``?`` (encode) or U+FFFD (decode) instead of failing.
    """

    aliases = ("StringConverter", "org.apache.kafka.connect.storage.StringConverter")
    no_bytes_for_null = True

    def __init__(self) -> None:
        self._encode_codec = "utf-8"
        self._decode_codec = "utf-8"

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        super().configure(configs, is_key)
        encoding = configs.get(ENCODING_CONFIG) or DEFAULT_ENCODING
        side = "key" if is_key else "value"

        def pick(kind: str) -> tuple[Any, str]:
            for key in (f"{side}.{kind}.encoding", f"{kind}.encoding"):
                if configs.get(key):
                    return configs[key], key
            return encoding, ENCODING_CONFIG

        self._encode_codec = _codec(*pick("serializer"))
        self._decode_codec = _codec(*pick("deserializer"))

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Any = None) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)  # already encoded; str() would give "b'...'"
        if isinstance(value, bool):
            text = "true" if value else "false"  # Java's Boolean.toString
        else:
            text = value if isinstance(value, str) else str(value)
        if self._encode_codec == "utf-8":
            return text.encode("utf-8", "replace")
        if self._encode_codec == "utf-16":
            return codecs.BOM_UTF16_BE + text.encode("utf-16-be", "replace")
        return text.encode(self._encode_codec, "replace")

    def to_connect_data(self, topic: str, value: bytes | None, headers: Any = None) -> SchemaAndValue:
        if value is None:
            return _NULL_STRING
        if self._decode_codec == "utf-8" and type(value) is bytes:
            return SchemaAndValue(OPTIONAL_STRING_SCHEMA, value.decode("utf-8", "replace"))
        try:
            codec = self._decode_codec
            if codec == "utf-16" and bytes(value[:2]) not in (codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE):
                codec = "utf-16-be"  # Java assumes big-endian without a BOM
            return SchemaAndValue(OPTIONAL_STRING_SCHEMA, bytes(value).decode(codec, "replace"))
        except Exception as exc:  # noqa: BLE001 - a codec failure is a data problem here
            raise DataError(f"Failed to deserialize string: {exc}") from exc

    @classmethod
    def config_keys(cls) -> list[dict[str, Any]]:
        return super().config_keys() + [
            config_key(
                ENCODING_CONFIG, "STRING", DEFAULT_ENCODING, "HIGH",
                "The name of the Java character set to use for encoding strings as byte arrays.",
                width="MEDIUM", display_name="Encoding",
            )
        ]
