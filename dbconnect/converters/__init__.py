"""Built-in converters: String, JSON and ByteArray, as shipped with Kafka Connect."""

from .base import Converter
from .bytes import ByteArrayConverter
from .json import JsonConverter
from .string import StringConverter

BUILTIN_CONVERTERS = (StringConverter, JsonConverter, ByteArrayConverter)

__all__ = ["Converter", "StringConverter", "JsonConverter", "ByteArrayConverter", "BUILTIN_CONVERTERS"]
