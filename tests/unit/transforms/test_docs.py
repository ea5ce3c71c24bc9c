"""docs/reference/transforms.md against the code: a section per transform and predicate naming
every key of its definition, and the examples' configs doing what the text after them says."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from dbconnect.api.data import STRING_SCHEMA, SchemaBuilder, Struct, Timestamp
from dbconnect.api.records import SinkRecord
from dbconnect.runtime.plugins import Plugins
from dbconnect.transforms.drop_headers import DropHeaders
from dbconnect.transforms.extract_field import ExtractFieldKey
from dbconnect.transforms.filter import Filter
from dbconnect.transforms.header_from import HeaderFromKey
from dbconnect.transforms.insert_header import InsertHeader
from dbconnect.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches
from dbconnect.transforms.regex_router import RegexRouter
from dbconnect.transforms.timestamp_converter import TimestampConverterKey
from dbconnect.transforms.timestamp_router import TimestampRouter
from dbconnect.transforms.value_to_key import ValueToKey
from tests.doc_snippets import ROOT, blocks, connector_config_of

PAGE = ROOT / "docs" / "reference" / "transforms.md"
TRANSFORMS = {"DropHeaders": DropHeaders, "Filter": Filter, "HeaderFrom": HeaderFromKey, "InsertHeader": InsertHeader,
              "RegexRouter": RegexRouter, "TimestampConverter": TimestampConverterKey,
              "TimestampRouter": TimestampRouter, "ExtractField": ExtractFieldKey, "ValueToKey": ValueToKey}
PREDICATES = {"HasHeaderKey": HasHeaderKey, "RecordIsTombstone": RecordIsTombstone,
              "TopicNameMatches": TopicNameMatches}


def sections(level: str) -> dict[str, str]:
    text = PAGE.read_text()
    parts = re.split(rf"^{level} (\S+)\n", text, flags=re.M)
    return {parts[i]: re.split(r"^#{2,3} ", parts[i + 1], flags=re.M)[0] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("name, cls", [*TRANSFORMS.items(), *PREDICATES.items()])
def test_every_key_is_documented_in_its_section(name, cls):
    section = sections("##" if name in TRANSFORMS else "###")[name]
    assert cls.aliases[0].replace("$Key", "") in section
    for key in cls().config().keys:
        assert f"| `{key}` |" in section, (name, key)


def test_sections_are_alphabetical_with_the_predicates_last():
    top = [name for name in sections("##") if name != "Predicates"]
    assert top == sorted(top)
    assert list(sections("##"))[-1] == "Predicates"
    assert list(sections("###")) == sorted(PREDICATES)


def chain_of(example: dict) -> list:
    """The example's transforms, configured from its ``transforms.<alias>.*`` keys, each with its
    predicate (or None) and negate flag."""
    plugins = Plugins()

    def make(prefix: str, alias: str):
        cls = plugins.find(example[f"{prefix}.{alias}.type"]).cls
        instance = cls()
        instance.configure({k[len(f"{prefix}.{alias}."):]: v for k, v in example.items()
                            if k.startswith(f"{prefix}.{alias}.") and k != f"{prefix}.{alias}.type"})
        return instance

    chain = []
    for alias in example["transforms"].split(","):
        predicate = example.get(f"transforms.{alias}.predicate")
        chain.append((make("transforms", alias), predicate and make("predicates", predicate),
                      example.get(f"transforms.{alias}.negate") == "true"))
    return chain


def run(example: dict, record):
    for transform, predicate, negate in chain_of(example):
        if predicate is None or predicate.test(record) != negate:
            record = transform.apply(record)
            if record is None:
                return None
    return record


def example(transform_type: str) -> dict:
    """The first example whose transforms include one whose type ends with ``transform_type``."""
    for block in blocks(PAGE):
        if block.kind != "json":
            continue
        _, config = connector_config_of(json.loads(block.text))
        types = [config.get(f"transforms.{alias.strip()}.type", "") for alias in config.get("transforms", "").split(",")]
        if any(t.endswith(transform_type) for t in types):
            return config
    raise AssertionError(f"no example uses {transform_type}")


def sink_record(topic="orders", value=None, value_schema=None, timestamp=None):
    return SinkRecord(topic, 0, None, None, value_schema, value, 0, timestamp=timestamp)


def test_the_filter_example_drops_tombstones_only():
    config = example("transforms.Filter")
    assert run(config, sink_record(value=None)) is None
    assert run(config, sink_record(value={"id": 1})).value == {"id": 1}


def test_the_header_from_example():
    config = example("HeaderFrom$Value")
    moved = run(config, sink_record(value={"id": 1, "trace_id": "ab12", "tenant": "acme"}))
    assert moved.value == {"id": 1}
    assert [(h.key, h.value) for h in moved.headers] == [("trace-id", "ab12"), ("tenant", "acme")]


def test_the_insert_header_example():
    record = run(example("InsertHeader"), sink_record(value="v"))
    assert [(h.key, h.value, h.schema) for h in record.headers] == [("origin", "shop-db", STRING_SCHEMA)]


def test_the_regex_router_example():
    assert run(example("transforms.RegexRouter"), sink_record("shop-orders")).topic == "orders"


def test_the_timestamp_converter_example():
    schema = SchemaBuilder.struct().field("occurred_at", STRING_SCHEMA).build()
    value = Struct(schema).put("occurred_at", "2024-05-06T09:08:09.123+02:00")
    record = run(example("TimestampConverter$Value"), sink_record(value=value, value_schema=schema))
    assert record.value_schema.field("occurred_at").schema == Timestamp.SCHEMA
    assert record.value.get("occurred_at") == dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)


def test_the_timestamp_router_example():
    assert run(example("TimestampRouter"), sink_record("clicks", timestamp=1483425001864)).topic == "clicks_20170103"


def test_the_topic_name_matches_example():
    config = next(connector_config_of(json.loads(b.text))[1] for b in blocks(PAGE)
                  if b.kind == "json" and "predicates.isOld.type" in b.text)
    assert run(config, sink_record("shop-orders-old")).topic == "archive_orders-old"
    assert run(config, sink_record("shop-orders")).topic == "shop-orders"
