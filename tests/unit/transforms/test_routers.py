"""RegexRouter and TimestampRouter against Kafka's RegexRouterTest and TimestampRouterTest."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import ConfigError, DataError
from dbconnect.api.records import SinkRecord, SourceRecord
from dbconnect.transforms.regex_router import RegexRouter
from dbconnect.transforms.timestamp_router import TimestampRouter


def route(regex: str, replacement: str, topic: str) -> str:
    router = RegexRouter()
    router.configure({"regex": regex, "replacement": replacement})
    routed = router.apply(SinkRecord(topic, 0, None, None, None, None, 0))
    router.close()
    return routed.topic


@pytest.mark.parametrize("regex, replacement, topic, expected", [
    ("foo", "bar", "foo", "bar"),                                   # staticReplacement
    ("foo", "bar", "orig", "orig"),                                 # doesntMatch
    ("(.*)", "$1", "orig", "orig"),                                 # identity
    ("(.*)", "prefix-$1", "orig", "prefix-orig"),                   # addPrefix
    ("(.*)", "$1-suffix", "orig", "orig-suffix"),                   # addSuffix
    (r"(.*)-(\d\d\d\d\d\d\d\d)", "$1", "index-20160117", "index"),  # slice
    # Java syntax beyond Python's: named groups, ${name}, \$ and \Q…\E
    (r"(?<db>\w+)\.(?<table>\w+)", "${table}_from_${db}", "shop.orders", "orders_from_shop"),
    (r"(.*)", r"\$$1", "t", "$t"),
    (r"\Qa.b\E-(.*)", "$1", "a.b-x", "x"),
    (r"\p{Alpha}+-(\p{Digit}+)", "n$1", "abc-42", "n42"),
    # the regex must match the whole topic
    ("foo", "bar", "foobar", "foobar"),
    # Java reads $11 as group 1 then "1" when there is no group 11
    ("(a)(b)", "$11$2", "ab", "a1b"),
    # replaceFirst after a whole match: the first match found from the start is replaced
    ("(.*?)", "x-$1", "abc", "x-abc"),
])
def test_regex_router(regex, replacement, topic, expected):
    assert route(regex, replacement, topic) == expected


def test_regex_router_keeps_everything_else():
    router = RegexRouter()
    router.configure({"regex": "(.*)", "replacement": "new-$1"})
    record = SourceRecord({"p": 1}, {"o": 2}, "t", partition=3, key="k", value="v", timestamp=9,
                          headers=[("h", "x")])
    routed = router.apply(record)
    assert routed.topic == "new-t"
    assert (routed.source_partition, routed.source_offset, routed.partition, routed.key, routed.value,
            routed.timestamp, [(h.key, h.value) for h in routed.headers]) == \
        ({"p": 1}, {"o": 2}, 3, "k", "v", 9, [("h", "x")])


@pytest.mark.parametrize("config, key, fragment", [
    ({"replacement": "x"}, "regex", 'Missing required configuration "regex" which has no default value.'),
    ({"regex": "x"}, "replacement", 'Missing required configuration "replacement" which has no default value.'),
    ({"regex": "(", "replacement": "x"}, "regex", "Invalid value ( for configuration regex: Invalid regex: "),
    ({"regex": "*", "replacement": "x"}, "regex", "Invalid value * for configuration regex: Invalid regex: "),
    ({"regex": "a{x}", "replacement": "x"}, "regex", "Illegal repetition"),
    ({"regex": "(?P<n>a)", "replacement": "x"}, "regex", "Unknown inline modifier"),
    ({"regex": r"\p{L}+", "replacement": "x"}, "regex", "Unsupported character property {L}"),
    ({"regex": "(a)", "replacement": "$2"}, "replacement", "No group 2"),
    ({"regex": "(a)", "replacement": "${n}"}, "replacement", "No group with name {n}"),
    ({"regex": "(a)", "replacement": "$x"}, "replacement", "Illegal group reference"),
    ({"regex": "(a)", "replacement": "x\\"}, "replacement", "character to be escaped is missing"),
])
def test_regex_router_bad_configs(config, key, fragment):
    with pytest.raises(ConfigError) as info:
        RegexRouter().configure(config)
    assert fragment in str(info.value)
    assert any(fragment in m for m in info.value.errors[key])


def test_regex_router_definition_reports_a_bad_regex_under_its_key():
    errors = RegexRouter().config().validate({"regex": "[a-", "replacement": "x"})
    assert list(errors) == ["regex"]
    assert errors["regex"][0].startswith("Invalid value [a- for configuration regex: Invalid regex: ")


def test_timestamp_router_default_configuration():
    router = TimestampRouter()
    router.configure({})
    record = SourceRecord(None, None, "test", partition=0, timestamp=1483425001864)
    assert router.apply(record).topic == "test-20170103"


@pytest.mark.parametrize("config, expected", [
    ({"topic.format": "${timestamp}_${topic}", "timestamp.format": "yyyy-MM-dd'T'HH"}, "2017-01-03T06_test"),
    ({"topic.format": "${topic}.${topic}", "timestamp.format": "yyyy"}, "test.test"),
    ({"topic.format": "fixed"}, "fixed"),
    ({"timestamp.format": "yyyyMMddHHmmssSSS"}, "test-20170103063001864"),
    ({"timestamp.format": "EEE dd MMM yy"}, "test-Tue 03 Jan 17"),
])
def test_timestamp_router_formats(config, expected):
    router = TimestampRouter()
    router.configure(config)
    record = SinkRecord("test", 0, None, None, None, None, 0, timestamp=1483425001864)
    routed = router.apply(record)
    assert routed.topic == expected
    assert routed.original_topic == "test"


def test_timestamp_router_needs_a_timestamp():
    router = TimestampRouter()
    router.configure({})
    with pytest.raises(DataError, match="Timestamp missing on record"):
        router.apply(SourceRecord(None, None, "test", value="v"))


@pytest.mark.parametrize("pattern, fragment", [
    ("YYYYMMdd", "Pattern letter 'Y' (week year) is not supported"),
    ("yyyyMMdd'", "Unterminated quote"),
    ("yyyyMMddq", "Illegal pattern character 'q'"),
])
def test_timestamp_router_refuses_formats_it_cannot_translate(pattern, fragment):
    with pytest.raises(ConfigError) as info:
        TimestampRouter().configure({"timestamp.format": pattern})
    assert any(fragment in m for m in info.value.errors["timestamp.format"])
    assert f"Invalid value {pattern} for configuration timestamp.format:" in str(info.value)
