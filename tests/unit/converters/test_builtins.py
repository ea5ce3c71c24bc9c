"""dbconnect.converters: the built-in converters and their aliases."""

from dbconnect.converters import (
    BUILTIN_CONVERTERS, ByteArrayConverter, Converter, JsonConverter, StringConverter,
)


def test_builtins_and_aliases():
    from dbconnect.converters.jsonschema import JsonSchemaConverter

    assert BUILTIN_CONVERTERS == (StringConverter, JsonConverter, ByteArrayConverter, JsonSchemaConverter)
    for cls in BUILTIN_CONVERTERS:
        assert issubclass(cls, Converter)
        short, java = cls.aliases
        assert short == cls.__name__ and java.endswith("." + cls.__name__)
