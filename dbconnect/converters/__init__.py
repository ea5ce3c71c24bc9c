"""Built-in converters: String, JSON and ByteArray as shipped with Kafka Connect (header converters too),
Kafka's SimpleHeaderConverter, and Confluent's JSON Schema one."""

from .base import Converter
from .bytes import ByteArrayConverter
from .json import JsonConverter
from .jsonschema import JsonSchemaConverter
from .simple_header import SimpleHeaderConverter
from .string import StringConverter

__all__ = ["Converter", "StringConverter", "JsonConverter", "ByteArrayConverter", "JsonSchemaConverter",
           "SimpleHeaderConverter", "BUILTIN_CONVERTERS"]

# Imported eagerly: the registry client the JSON Schema converter uses does not import this package.
BUILTIN_CONVERTERS = (StringConverter, JsonConverter, ByteArrayConverter, JsonSchemaConverter, SimpleHeaderConverter)
