"""Built-in converters: String, JSON and ByteArray as shipped with Kafka Connect, and Confluent's JSON Schema one."""

from typing import Any

from .base import Converter
from .bytes import ByteArrayConverter
from .json import JsonConverter
from .string import StringConverter

__all__ = ["Converter", "StringConverter", "JsonConverter", "ByteArrayConverter", "JsonSchemaConverter",
           "BUILTIN_CONVERTERS"]


def __getattr__(name: str) -> Any:
    # The JSON Schema converter is built on dbconnect.registry, whose codec uses converters.common:
    # importing it lazily keeps `import dbconnect.registry.<module>` from running into a half-initialised
    # converters package (the registry ↔ converters layering is untangled by the layers issue).
    if name == "JsonSchemaConverter":
        from .jsonschema import JsonSchemaConverter

        return JsonSchemaConverter
    if name == "BUILTIN_CONVERTERS":
        from .jsonschema import JsonSchemaConverter

        return (StringConverter, JsonConverter, ByteArrayConverter, JsonSchemaConverter)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
