"""converters.string: StringConverter."""

import pytest

from dbconnect.api.data import OPTIONAL_STRING_SCHEMA, STRING_SCHEMA
from dbconnect.api.errors import ConfigError
from dbconnect.converters import StringConverter


def test_string_converter_default_utf8():
    converter = StringConverter()
    converter.configure({}, False)
    assert converter.from_connect_data("t", STRING_SCHEMA, "héllo") == "héllo".encode()
    assert converter.from_connect_data("t", None, 12) == b"12"
    assert converter.from_connect_data("t", None, True) == b"true"
    assert converter.from_connect_data("t", None, None) is None
    assert converter.to_connect_data("t", "héllo".encode()) == (OPTIONAL_STRING_SCHEMA, "héllo")
    assert converter.to_connect_data("t", None) == (OPTIONAL_STRING_SCHEMA, None)


def test_string_converter_encodings():
    converter = StringConverter()
    converter.configure({"converter.encoding": "ISO-8859-1"}, True)
    assert converter.from_connect_data("t", None, "é") == b"\xe9"
    assert converter.to_connect_data("t", b"\xe9").value == "é"
    utf16 = StringConverter()
    utf16.configure({"converter.encoding": "UTF-16"}, False)
    assert utf16.from_connect_data("t", None, "a") == b"\xfe\xff\x00a"  # Java: big-endian with BOM
    assert utf16.to_connect_data("t", b"\xfe\xff\x00a").value == "a"
    assert utf16.to_connect_data("t", b"\x00a").value == "a"
    split = StringConverter()
    split.configure({"serializer.encoding": "UTF-16LE", "deserializer.encoding": "latin-1"}, False)
    assert split.from_connect_data("t", None, "a") == b"a\x00"
    assert split.to_connect_data("t", b"\xe9").value == "é"
    with pytest.raises(ConfigError, match="converter.encoding"):
        StringConverter().configure({"converter.encoding": "no-such-charset"}, False)
    assert [k["name"] for k in StringConverter.config_keys()] == ["converter.type", "converter.encoding"]
