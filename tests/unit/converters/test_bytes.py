"""converters.bytes: ByteArrayConverter."""

import pytest

from dbconnect.api.data import BYTES_SCHEMA, OPTIONAL_BYTES_SCHEMA, STRING_SCHEMA
from dbconnect.api.errors import DataError
from dbconnect.converters import ByteArrayConverter


def test_byte_array_converter():
    converter = ByteArrayConverter()
    converter.configure({}, False)
    assert converter.from_connect_data("t", BYTES_SCHEMA, b"ab") == b"ab"
    assert converter.from_connect_data("t", None, bytearray(b"ab")) == b"ab"
    assert converter.from_connect_data("t", None, memoryview(b"ab")) == b"ab"
    assert converter.from_connect_data("t", None, None) is None
    assert converter.to_connect_data("t", b"ab") == (OPTIONAL_BYTES_SCHEMA, b"ab")
    assert converter.to_connect_data("t", None) == (OPTIONAL_BYTES_SCHEMA, None)
    with pytest.raises(DataError) as info:
        converter.from_connect_data("t", STRING_SCHEMA, "ab")
    assert str(info.value) == "Invalid schema type for ByteArrayConverter: STRING"
    with pytest.raises(DataError, match="not compatible"):
        converter.from_connect_data("t", None, "ab")
