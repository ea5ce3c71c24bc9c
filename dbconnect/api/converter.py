"""The Converter plugin interface (org.apache.kafka.connect.storage.Converter)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from .data import Schema, SchemaAndValue

__all__ = ["Converter", "HeaderConverter", "config_key", "CONVERTER_TYPE_KEY", "HEADER_CONVERTER_TYPE"]


def config_key(
    name: str,
    type: str,
    default: Any,
    importance: str,
    documentation: str,
    group: str | None = None,
    order: int = -1,
    width: str = "NONE",
    display_name: str | None = None,
    required: bool = False,
) -> dict[str, Any]:
    """One ConfigKeyInfo entry as GET /connector-plugins/{plugin}/config returns it."""
    if isinstance(default, bool):
        default = "true" if default else "false"
    return {
        "name": name,
        "type": type,
        "required": required,
        "default_value": None if default is None else str(default),
        "importance": importance,
        "documentation": documentation,
        "group": group,
        "width": width,
        "display_name": display_name or name,
        "dependents": [],
        "order": order,
    }


CONVERTER_TYPE_KEY = "converter.type"
#: The ``converter.type`` a converter configured as a header converter is given (ConverterType.HEADER).
HEADER_CONVERTER_TYPE = "header"


def _converter_type_key() -> dict[str, Any]:
    # Every Kafka converter ConfigDef starts with this one (ConverterConfig.newConfigDef()).
    return config_key(CONVERTER_TYPE_KEY, "STRING", None, "LOW", "How this converter will be used.", required=True)


class HeaderConverter(ABC):
    """Turns header values into bytes for Kafka and back (org.apache.kafka.connect.storage.HeaderConverter).

    The worker's ``header.converter`` (SimpleHeaderConverter by default) converts every header of
    every record: consumed headers become ``SinkRecord.headers`` through ``to_connect_header``,
    and a ``SourceRecord``'s headers become the produced message's through ``from_connect_header``.
    A class may be a :class:`Converter` and a HeaderConverter at once, as Kafka's
    StringConverter, JsonConverter and ByteArrayConverter are: ``configure`` then receives
    ``converter.type=header`` and ``is_key=False``.
    """

    #: Names this plugin is found by: the short name first, then the Java class name.
    aliases: tuple[str, ...] = ()

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        """The ``header.converter.`` settings (prefix stripped); ``is_key`` is always False here."""

    @abstractmethod
    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        """A consumed header's bytes (None for a null header) as a schema and value; never None."""

    @abstractmethod
    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        """A header's value as the bytes to produce; None for a null value."""

    def close(self) -> None:
        pass

    @classmethod
    def config_keys(cls) -> list[dict[str, Any]]:
        """The ConfigKeyInfo entries of this converter's settings (Kafka's ``config()``)."""
        return []


class Converter(ABC):
    """Turns Connect data into bytes for Kafka and back.

    ``configure`` receives the converter's own settings (the ``key.converter.`` /
    ``value.converter.`` prefix already stripped); values may be strings.
    """

    #: Names this plugin is found by: the short name first, then the Java class name.
    aliases: tuple[str, ...] = ()

    #: True when ``from_connect_data`` writes no bytes (None) for a null value without a schema,
    #: as every built-in converter does; the worker then skips the call for such keys. A promise
    #: of the class that sets it, not inherited: a subclass may override from_connect_data
    #: (see ``writes_no_bytes_for_null``).
    no_bytes_for_null: bool = False

    is_key: bool = False

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        self.is_key = is_key

    @abstractmethod
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Any = None
    ) -> bytes | None:
        """Serialize a Connect value; ``None`` means a null record value (tombstone)."""

    @abstractmethod
    def to_connect_data(self, topic: str, value: bytes | None, headers: Any = None) -> SchemaAndValue:
        """Deserialize bytes read from Kafka."""

    # HeaderConverter counterparts, for converters that are header converters too (those that
    # also derive from HeaderConverter, as the built-in String, JSON and ByteArray converters do).
    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)

    def json_payload_format(self) -> Any:
        """The :class:`~dbconnect.api.payload.JsonPayloadFormat` whose pre-encoded Struct payloads
        this converter writes as they are, or None (the default: it encodes Structs itself)."""
        return None

    def json_payload_framing(self, topic: str, schema: Schema, payload_format: Any) -> tuple[bytes, bytes] | None:
        """(prefix, suffix) that make a record of ``topic`` from a pre-encoded Struct payload of
        ``schema`` in ``payload_format``: what ``from_connect_data`` would write around it; None
        when this converter must see each value (or the format is not its own)."""
        return None

    def close(self) -> None:
        pass

    @classmethod
    def config_keys(cls) -> list[dict[str, Any]]:
        return [_converter_type_key()]


def writes_no_bytes_for_null(converter: Converter) -> bool:
    """Whether ``converter``'s own class declares ``no_bytes_for_null`` (its bases' say nothing)."""
    return bool(vars(type(converter)).get("no_bytes_for_null", False))
