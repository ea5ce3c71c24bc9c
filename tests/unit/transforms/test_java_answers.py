"""java_regex.py and java_date_format.py give OpenJDK 17's answers (recorded in java17_answers.py)."""

from __future__ import annotations

import pytest

from dbconnect.transforms.java_date_format import JavaDateFormat
from dbconnect.transforms.java_regex import Replacement, compile_java, replace_first
from tests.unit.transforms.java17_answers import FORMAT, PARSE, REGEX


@pytest.mark.parametrize("pattern, topic, replacement, java", REGEX)
def test_regex_like_java(pattern, topic, replacement, java):
    regex = compile_java(pattern)
    if regex.fullmatch(topic) is None:
        assert java == "N"
    else:
        assert "M:" + replace_first(regex, Replacement(replacement, regex), topic) == java


@pytest.mark.parametrize("pattern, millis, java", FORMAT)
def test_format_like_java(pattern, millis, java):
    assert JavaDateFormat(pattern).format(millis) == java


@pytest.mark.parametrize("pattern, text, java", PARSE)
def test_parse_like_java(pattern, text, java):
    assert JavaDateFormat(pattern).parse(text) == java
