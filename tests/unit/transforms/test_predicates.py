"""TopicNameMatches, HasHeaderKey, RecordIsTombstone (negation is the chain's, not tested here),
and Filter, against Kafka's predicate tests."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.api.records import SinkRecord, SourceRecord
from dbconnect.transforms.filter import Filter
from dbconnect.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches


def record_with_topic(topic):
    return SourceRecord({}, {}, topic, partition=0, value="v")


def test_topic_name_matches():
    predicate = TopicNameMatches()
    predicate.configure({"pattern": "my-prefix-.*"})
    assert predicate.test(record_with_topic("my-prefix-"))
    assert predicate.test(record_with_topic("my-prefix-foo"))
    assert not predicate.test(record_with_topic("x-my-prefix-"))
    assert not predicate.test(record_with_topic("x-my-prefix-foo"))
    assert not predicate.test(record_with_topic("your-prefix-"))
    assert not predicate.test(record_with_topic("your-prefix-foo"))
    assert not predicate.test(SourceRecord(None, None, None))


def test_topic_name_matches_java_syntax():
    predicate = TopicNameMatches()
    predicate.configure({"pattern": r"(?<db>\p{Lower}+)\.orders"})
    assert predicate.test(record_with_topic("shop.orders"))
    assert not predicate.test(record_with_topic("Shop.orders"))


@pytest.mark.parametrize("config, message", [
    ({}, 'Missing required configuration "pattern" which has no default value.'),  # testPatternRequiredInConfig
    ({"pattern": ""}, "Invalid value  for configuration pattern: String must be non-empty"),
    ({"pattern": "["}, "Invalid value [ for configuration pattern: Invalid regex: "),  # testPatternIsValidRegexInConfig
])
def test_topic_name_matches_bad_configs(config, message):
    with pytest.raises(ConfigError) as info:
        TopicNameMatches().configure(config)
    assert len(info.value.errors["pattern"]) == 1 and info.value.errors["pattern"][0].startswith(message)


def test_topic_name_matches_definition_validates():
    definition = TopicNameMatches().config()
    assert definition.validate({"pattern": "my-prefix-.*"}) == {}
    errors = definition.validate({"pattern": "*"})["pattern"]
    assert len(errors) == 1 and "Invalid regex" in errors[0]


def test_has_header_key():
    predicate = HasHeaderKey()
    predicate.configure({"name": "foo"})
    assert predicate.test(SourceRecord({}, {}, "t", headers=[("foo", "bar")]))
    assert predicate.test(SourceRecord({}, {}, "t", headers=[("x", 1), ("foo", None), ("foo", 2)]))
    assert not predicate.test(SourceRecord({}, {}, "t", headers=[("bar", "foo")]))
    assert not predicate.test(SourceRecord({}, {}, "t"))
    assert predicate.test(SinkRecord("t", 0, None, None, None, None, 0, headers=[("foo", b"x")]))


@pytest.mark.parametrize("config, message", [
    ({}, 'Missing required configuration "name" which has no default value.'),
    ({"name": ""}, "Invalid value  for configuration name: String must be non-empty"),
])
def test_has_header_key_bad_configs(config, message):
    with pytest.raises(ConfigError) as info:
        HasHeaderKey().configure(config)
    assert info.value.errors["name"] == [message]


def test_record_is_tombstone():
    predicate = RecordIsTombstone()
    predicate.configure({})
    assert predicate.test(SourceRecord({}, {}, "t", key="k", value=None))
    assert not predicate.test(SourceRecord({}, {}, "t", value="v"))
    assert not predicate.test(SourceRecord({}, {}, "t", value=b""))
    assert predicate.test(SinkRecord("t", 0, None, "k", None, None, 0))


def test_filter_drops_every_record():
    xform = Filter()
    xform.configure({})
    assert xform.apply(SourceRecord({}, {}, "t", value="v")) is None
    assert xform.apply(SinkRecord("t", 0, None, None, None, None, 0)) is None


@pytest.mark.parametrize("cls, names", [
    (TopicNameMatches, ("org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "TopicNameMatches")),
    (HasHeaderKey, ("org.apache.kafka.connect.transforms.predicates.HasHeaderKey", "HasHeaderKey")),
    (RecordIsTombstone, ("org.apache.kafka.connect.transforms.predicates.RecordIsTombstone", "RecordIsTombstone")),
    (Filter, ("org.apache.kafka.connect.transforms.Filter", "Filter")),
])
def test_kafka_names(cls, names):
    assert cls.aliases == names


def test_predicates_are_predicates():
    assert {TopicNameMatches.plugin_kind, HasHeaderKey.plugin_kind, RecordIsTombstone.plugin_kind} == {"predicate"}
    assert Filter.plugin_kind == "transformation"
