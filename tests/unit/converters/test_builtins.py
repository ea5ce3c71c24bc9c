"""dbconnect.converters: the built-in converters and their aliases."""

from dbconnect.api.converter import HeaderConverter
from dbconnect.converters import (
    BUILTIN_CONVERTERS, ByteArrayConverter, Converter, JsonConverter, SimpleHeaderConverter, StringConverter,
)


def test_builtins_and_aliases():
    from dbconnect.converters.jsonschema import JsonSchemaConverter

    assert BUILTIN_CONVERTERS == (StringConverter, JsonConverter, ByteArrayConverter, JsonSchemaConverter,
                                  SimpleHeaderConverter)
    for cls in BUILTIN_CONVERTERS:
        assert issubclass(cls, (Converter, HeaderConverter))
        short, java = cls.aliases
        assert short == cls.__name__ and java.endswith("." + cls.__name__)


def test_which_builtins_are_header_converters():
    # As in Kafka: String, JSON and ByteArray implement both interfaces; Confluent's JsonSchemaConverter
    # is a Converter only; SimpleHeaderConverter is a HeaderConverter only.
    from dbconnect.converters.jsonschema import JsonSchemaConverter

    header = [cls for cls in BUILTIN_CONVERTERS if issubclass(cls, HeaderConverter)]
    assert header == [StringConverter, JsonConverter, ByteArrayConverter, SimpleHeaderConverter]
    assert not issubclass(JsonSchemaConverter, HeaderConverter)
    assert not issubclass(SimpleHeaderConverter, Converter)
