"""topic.creation.* (KIP-158): validation messages and group matching (dbconnect/runtime/topic_creation.py)."""

from __future__ import annotations

import pytest

from dbconnect.runtime.topic_creation import TopicCreation, configured_groups, topic_creation_errors

DEFAULTS = {"topic.creation.default.replication.factor": "-1", "topic.creation.default.partitions": "3"}


def test_no_topic_creation_keys_no_errors_and_no_creation():
    assert topic_creation_errors({"topic": "t"}) == {}
    assert TopicCreation.for_connector({"topic": "t"}, True, {}) is None


def test_default_keys_are_required_once_any_key_is_set():
    errors = topic_creation_errors({"topic.creation.default.partitions": "3"})
    assert errors == {"topic.creation.default.replication.factor": [
        'Missing required configuration "topic.creation.default.replication.factor" which has no default value.']}
    assert topic_creation_errors(DEFAULTS) == {}


@pytest.mark.parametrize("key,value,message", [
    ("topic.creation.default.partitions", "0",
     "Invalid value 0 for configuration topic.creation.default.partitions: Number of partitions must be positive, "
     "or -1 to use the broker's default"),
    ("topic.creation.default.replication.factor", "-2",
     "Invalid value -2 for configuration topic.creation.default.replication.factor: Replication factor must be "
     "positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"),
    ("topic.creation.default.partitions", "three",
     "Invalid value three for configuration topic.creation.default.partitions: Not a number of type INT"),
    ("topic.creation.default.replication.factor", "40000",
     "Invalid value 40000 for configuration topic.creation.default.replication.factor: Not a number of type SHORT"),
])
def test_kafkas_messages_for_bad_numbers(key, value, message):
    assert topic_creation_errors({**DEFAULTS, key: value}) == {key: [message]}


def test_group_keys():
    props = {**DEFAULTS, "topic.creation.groups": "compacted, bad",
             "topic.creation.compacted.include": "orders.*, audit",
             "topic.creation.compacted.partitions": "-3",
             "topic.creation.bad.exclude": "ok, (unclosed",
             "topic.creation.other.partitions": "2"}
    errors = topic_creation_errors(props)
    assert errors["topic.creation.compacted.partitions"] == [
        "Invalid value -3 for configuration topic.creation.compacted.partitions: Number of partitions must be "
        "positive, or -1 to use the broker's default"]
    [regex] = errors["topic.creation.bad.exclude"]
    assert regex.startswith("Invalid value [ok, (unclosed] for configuration topic.creation.bad.exclude: "
                            "Syntax error in regular expression:")
    [unknown] = errors["topic.creation.other.partitions"]
    assert "names no topic creation group" in unknown and "[compacted, bad]" in unknown
    assert set(errors) == {"topic.creation.compacted.partitions", "topic.creation.bad.exclude",
                           "topic.creation.other.partitions"}


def test_include_on_the_default_group_is_refused_not_ignored():
    [message] = topic_creation_errors({**DEFAULTS, "topic.creation.default.include": "x.*"})[
        "topic.creation.default.include"]
    assert "not supported" in message


def test_a_worker_without_topic_creation_refuses_the_keys():
    errors = topic_creation_errors(DEFAULTS, enabled=False)
    assert set(errors) == set(DEFAULTS)
    assert "topic.creation.enable=false" in errors["topic.creation.default.partitions"][0]
    assert TopicCreation.for_connector(DEFAULTS, False, {}) is None


def test_first_matching_group_wins_exclude_beats_include_and_groups_inherit_the_defaults():
    props = {**DEFAULTS, "topic.creation.default.retention.ms": "1000",
             "topic.creation.groups": "compacted,wide",
             "topic.creation.compacted.include": "orders.*,audit",
             "topic.creation.compacted.exclude": "orders-tmp",
             "topic.creation.compacted.cleanup.policy": "compact",
             "topic.creation.wide.include": ".*",
             "topic.creation.wide.partitions": "12"}
    assert topic_creation_errors(props) == {}
    creation = TopicCreation.for_connector(props, True, {})
    assert creation.group_for("orders").name == "compacted"
    assert creation.group_for("audit").name == "compacted"
    assert creation.group_for("audit-2").name == "wide"  # whole-name matches only
    assert creation.group_for("orders-tmp").name == "wide"
    compacted = creation.group_for("orders")
    assert (compacted.partitions, compacted.replication_factor, compacted.configs) == (3, -1, {"cleanup.policy": "compact"})
    assert creation.group_for("x").partitions == 12
    default, groups = configured_groups({**DEFAULTS, "topic.creation.default.retention.ms": "1000"})
    assert groups == [] and default.configs == {"retention.ms": "1000"} and default.matches("anything")
