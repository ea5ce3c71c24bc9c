"""The definitions in schemas/transforms/ of TimestampConverter, the routers, Filter, the header
transforms and the predicates: what config() returns, Kafka's keys, defaults and descriptions,
and what validate reports (as a connector's validate will under the transform's alias)."""

from __future__ import annotations

import json

import pytest

from dbconnect.api.config import ConfigDefinition
from dbconnect.transforms import BUILTIN_PREDICATES, BUILTIN_TRANSFORMS
from dbconnect.transforms.base import load_definition
from tests.doc_snippets import ROOT

# file → (Kafka's keys in Kafka's order, their defaults; None = required)
KAFKA_KEYS = {
    "timestamp-converter": {"field": "", "target.type": None, "format": "", "unix.precision": "milliseconds",
                            "replace.null.with.default": True},
    "timestamp-router": {"topic.format": "${topic}-${timestamp}", "timestamp.format": "yyyyMMdd"},
    "regex-router": {"regex": None, "replacement": None},
    "filter": {},
    "insert-header": {"header": None, "value.literal": None},
    "drop-headers": {"headers": None},
    "header-from": {"fields": None, "headers": None, "operation": None, "replace.null.with.default": True},
    "topic-name-matches": {"pattern": None},
    "has-header-key": {"name": None},
    "record-is-tombstone": {},
}
MINE = [c for c in BUILTIN_TRANSFORMS if c.__module__.rsplit(".", 1)[-1] in (
    "timestamp_converter", "timestamp_router", "regex_router", "filter", "insert_header", "drop_headers",
    "header_from", "predicates")]


@pytest.mark.parametrize("name, keys", KAFKA_KEYS.items())
def test_kafka_keys_and_defaults(name, keys):
    definition = load_definition(name)
    assert list(definition.keys) == list(keys)
    for key, default in keys.items():
        config_key = definition.keys[key]
        assert config_key.documentation, key
        if default is None:
            assert config_key.required and not config_key.has_default, key
        else:
            assert config_key.default == default, key
    doc = json.loads((ROOT / "schemas" / "transforms" / f"{name}.json").read_text())
    assert doc["x-plugin-type"] in ("transformation", "predicate")


@pytest.mark.parametrize("cls", MINE, ids=lambda c: c.__name__)
def test_config_returns_the_definition_of_its_file(cls):
    definition = cls().config()
    assert isinstance(definition, ConfigDefinition)
    assert definition.title == cls.aliases[1].split("$")[0]
    assert definition.plugin_type == cls.plugin_kind
    assert [info["name"] for info in definition.config_key_infos()] == list(definition.keys)


def test_every_predicate_is_listed():
    assert {c.__name__ for c in BUILTIN_PREDICATES} == {"TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"}
    assert set(BUILTIN_PREDICATES) <= set(BUILTIN_TRANSFORMS)


@pytest.mark.parametrize("name, props, errors", [
    ("regex-router", {"regex": "(?<x>a)", "replacement": "${x}"}, {}),
    ("regex-router", {"regex": "a)", "replacement": "x"}, {"regex": "Invalid value a) for configuration regex: Invalid regex: "}),
    ("topic-name-matches", {"pattern": ""}, {"pattern": "Invalid value  for configuration pattern: String must be non-empty"}),
    ("timestamp-router", {"timestamp.format": "YYYY"}, {"timestamp.format": "Invalid value YYYY for configuration "
                                                        "timestamp.format: Not a SimpleDateFormat pattern we can translate: "
                                                        "Pattern letter 'Y' (week year) is not supported"}),
    ("timestamp-converter", {"target.type": "Date", "unix.precision": "hours"},
     {"unix.precision": "Invalid value hours for configuration unix.precision: String must be one of: "}),
    ("drop-headers", {"headers": ""}, {"headers": "Invalid value [] for configuration headers: Empty list"}),
    ("header-from", {"fields": "a", "headers": "b", "operation": "swap"},
     {"operation": "Invalid value swap for configuration operation: String must be one of: move, copy"}),
])
def test_validate_reports_kafkas_messages_under_the_key(name, props, errors):
    # The modules that register the java-regex and SimpleDateFormat checks are imported above.
    found = load_definition(name).validate(props)
    assert list(found) == list(errors)
    for key, message in errors.items():
        assert len(found[key]) == 1 and found[key][0].startswith(message)
