"""converters.base: the shared config parsing."""

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.converters.base import parse_bool


def test_parse_bool():
    assert parse_bool("True", "k") is True and parse_bool(False, "k") is False
    with pytest.raises(ConfigError, match="Invalid value 1 for configuration k"):
        parse_bool(1, "k")
