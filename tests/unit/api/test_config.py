"""Config definitions as JSON Schema: loading, coercion, Kafka's error wording, REST shapes, docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dbconnect.api.config import (
    HIDDEN,
    SCHEMA_DIRS,
    ConfigDefinition,
    ConfigKey,
    invalid_config_message,
    mask_passwords,
    sink_topics_errors,
)
from dbconnect.api.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = sorted((ROOT / "schemas").glob("*.json"))
BASE = {"name": "c", "connector.class": "FileStreamSink"}

TYPED = {
    "type": "object",
    "properties": {
        "i": {"type": "integer"},
        "s16": {"type": "integer", "x-connect-type": "SHORT"},
        "l": {"type": "integer", "x-connect-type": "LONG"},
        "d": {"type": "number"},
        "b": {"type": "boolean"},
        "lst": {"type": "array", "items": {"type": "string"}},
        "str": {"type": "string"},
        "cls": {"type": "string", "x-connect-type": "CLASS"},
        "pw": {"type": "string", "x-connect-type": "PASSWORD"},
    },
}


def sink() -> ConfigDefinition:
    return ConfigDefinition.load("connector-common", "connector-sink")


def one_error(definition: ConfigDefinition, props: dict, key: str) -> str:
    errors = definition.validate(props)
    assert list(errors) == [key], errors
    assert len(errors[key]) == 1, errors
    return errors[key][0]


# --------------------------------------------------------------------------- schema files

def test_schema_dir_is_first_lookup_location():
    assert SCHEMA_DIRS[0] == ROOT / "schemas"
    assert {p.stem for p in SCHEMAS} >= {"connector-common", "connector-source", "connector-sink", "worker",
                                         "file-stream-source", "file-stream-sink"}


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_schema_file_is_a_valid_draft_2020_12_config_document(path):
    doc = json.loads(path.read_text())
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["type"] == "object" and doc["title"] and doc["x-plugin-type"] in ("connector", "worker")
    definition = ConfigDefinition.load(path.stem)
    assert list(definition.keys) == list(doc["properties"])
    for name, prop in doc["properties"].items():
        assert prop.get("description"), f"{path.name}:{name} has no description"
        assert prop.get("x-importance") in ("HIGH", "MEDIUM", "LOW"), name
        assert name not in doc.get("required", []) or "default" not in prop, name
        key = definition.keys[name]
        # Every non-null default must itself be a valid value.
        if key.default is not None:
            assert definition.validate({name: key.default}).get(name) is None, name
    for group in definition.groups:
        assert group in doc.get("x-groups", []), group


def test_load_caches_and_accepts_paths():
    assert ConfigDefinition.load("worker") is ConfigDefinition.load("worker")
    by_path = ConfigDefinition.load(str(ROOT / "schemas" / "worker.json"))
    assert list(by_path.keys) == list(ConfigDefinition.load("worker.json").keys)
    with pytest.raises(FileNotFoundError):
        ConfigDefinition.load("no-such-schema")


def test_common_keys_and_groups():
    d = ConfigDefinition.load("connector-common")
    assert d.groups == ["Common", "Transforms", "Predicates", "Error Handling"]
    assert list(d.keys)[:3] == ["name", "connector.class", "tasks.max"]
    assert d.keys["connector.class"].type == "CLASS" and d.keys["connector.class"].required
    assert d.keys["tasks.max"].type == "INT" and d.keys["tasks.max"].default == 1
    assert d.keys["errors.retry.timeout"].type == "LONG"
    assert d.keys["transforms"].type == "LIST" and d.keys["transforms"].default == []
    assert d.keys["key.converter"].has_default and d.keys["key.converter"].default is None
    assert d.keys["config.action.reload"].enum == ["none", "restart"]
    assert d.keys["errors.retry.timeout"].order == 1  # position in "Error Handling"
    assert d.keys["tasks.max"].order == 3


def test_type_derived_from_json_type():
    d = ConfigDefinition.of(TYPED)
    assert {n: k.type for n, k in d.keys.items()} == {
        "i": "INT", "s16": "SHORT", "l": "LONG", "d": "DOUBLE", "b": "BOOLEAN", "lst": "LIST",
        "str": "STRING", "cls": "CLASS", "pw": "PASSWORD"}
    assert d.keys["pw"].is_password and d.password_keys() == {"pw"}
    key = d.keys["i"]
    assert isinstance(key, ConfigKey) and key.json_type == "integer"
    assert key.importance == "MEDIUM" and key.width == "NONE" and key.display_name == "i"
    assert key.group is None and key.order == -1 and key.dependents == [] and not key.has_default


# --------------------------------------------------------------------------- parse / coercion

def test_parse_coerces_every_type_from_strings():
    d = ConfigDefinition.of(TYPED)
    out = d.parse({"i": " 42 ", "s16": "-7", "l": "9000000000", "d": "2.5", "b": "TRUE", "lst": " a , b,c ",
                   "str": " x ", "cls": "a.B", "pw": "secret"})
    assert out == {"i": 42, "s16": -7, "l": 9000000000, "d": 2.5, "b": True, "lst": ["a", "b", "c"],
                   "str": " x ", "cls": "a.B", "pw": "secret"}
    assert d.parse({"b": "false", "lst": "", "d": "3"})["lst"] == []
    assert d.parse({"b": "False"})["b"] is False and d.parse({"d": "3"})["d"] == 3.0


def test_parse_accepts_real_values():
    d = ConfigDefinition.of(TYPED)
    out = d.parse({"i": 3, "b": False, "lst": ["x", "y"], "d": 1, "str": 5})
    assert out["i"] == 3 and out["b"] is False and out["lst"] == ["x", "y"] and out["d"] == 1.0
    assert out["str"] == "5"


def test_parse_applies_defaults_and_passes_unknown_keys_through():
    out = sink().parse({**BASE, "topics": "t1", "producer.override.acks": "all", "transforms.x.type": "Y"})
    assert out["tasks.max"] == 1 and out["tasks.max.enforce"] is True
    assert out["errors.tolerance"] == "none" and out["errors.log.enable"] is False
    assert out["errors.retry.delay.max.ms"] == 60000 and out["key.converter"] is None
    assert out["transforms"] == [] and out["topics"] == ["t1"] and out["topics.regex"] == ""
    assert out["errors.deadletterqueue.topic.replication.factor"] == 3
    assert out["producer.override.acks"] == "all" and out["transforms.x.type"] == "Y"


def test_worker_defaults():
    out = ConfigDefinition.load("worker").parse({"key.converter": "K", "value.converter": "V"})
    assert out["bootstrap.servers"] == ["localhost:9092"]
    assert out["listeners"] == ["http://:8083"]
    assert out["header.converter"] == "org.apache.kafka.connect.storage.SimpleHeaderConverter"
    assert out["offset.flush.interval.ms"] == 60000 and out["plugin.path"] is None
    assert out["topic.tracking.enable"] is False and out["topic.tracking.allow.reset"] is True
    assert out["plugin.discovery"] == "hybrid_warn" and out["exactly.once.source.support"] == "disabled"
    assert out["config.storage.replication.factor"] == 3 and out["offset.storage.partitions"] == 25
    assert out["group.id"] is None


def test_parse_raises_config_error_with_errors_and_kafka_message():
    with pytest.raises(ConfigError) as info:
        sink().parse({"name": "c", "tasks.max": "abc"})
    errors = info.value.errors
    assert errors == {
        "connector.class": ['Missing required configuration "connector.class" which has no default value.'],
        "tasks.max": ["Invalid value abc for configuration tasks.max: Not a number of type INT"],
    }
    assert str(info.value) == invalid_config_message(errors)


# --------------------------------------------------------------------------- exact error messages

def test_missing_required_message():
    d = ConfigDefinition.load("file-stream-source")
    assert one_error(d, {}, "topic") == 'Missing required configuration "topic" which has no default value.'
    d2 = ConfigDefinition.of({"type": "object", "properties": {"file": {"type": "string"}}, "required": ["file"]})
    assert d2.validate({}) == {"file": ['Missing required configuration "file" which has no default value.']}
    assert d2.validate({"file": None}) == d2.validate({})


@pytest.mark.parametrize("key,ctype", [("i", "INT"), ("l", "LONG"), ("s16", "SHORT"), ("d", "DOUBLE")])
def test_not_a_number_messages(key, ctype):
    d = ConfigDefinition.of(TYPED)
    assert one_error(d, {key: "abc"}, key) == f"Invalid value abc for configuration {key}: Not a number of type {ctype}"


def test_integer_ranges_and_formats():
    d = ConfigDefinition.of(TYPED)
    assert one_error(d, {"s16": "40000"}, "s16").endswith("Not a number of type SHORT")
    assert one_error(d, {"i": "2147483648"}, "i").endswith("Not a number of type INT")
    assert one_error(d, {"i": "1.5"}, "i").endswith("Not a number of type INT")
    assert one_error(d, {"i": ""}, "i") == "Invalid value  for configuration i: Not a number of type INT"
    assert d.parse({"i": "2147483647", "l": "-9223372036854775808"})["i"] == 2147483647


def test_boolean_message():
    assert one_error(sink(), {**BASE, "topics": "t", "errors.log.enable": "yes"}, "errors.log.enable") == \
        "Invalid value yes for configuration errors.log.enable: Expected value to be either true or false"


def test_minimum_and_maximum_messages():
    assert one_error(sink(), {**BASE, "topics": "t", "tasks.max": "0"}, "tasks.max") == \
        "Invalid value 0 for configuration tasks.max: Value must be at least 1"
    assert one_error(sink(), {**BASE, "topics": "t", "errors.retry.timeout": "-2"}, "errors.retry.timeout") == \
        "Invalid value -2 for configuration errors.retry.timeout: Value must be at least -1"
    d = ConfigDefinition.of({"type": "object", "properties": {"p": {"type": "integer", "maximum": 10}}})
    assert one_error(d, {"p": "11"}, "p") == "Invalid value 11 for configuration p: Value must be no more than 10"


def test_enum_messages():
    assert one_error(sink(), {**BASE, "topics": "t", "errors.tolerance": "x"}, "errors.tolerance") == \
        "Invalid value x for configuration errors.tolerance: String must be one of: none, all"
    # Kafka's CaseInsensitiveValidString
    source = ConfigDefinition.load("connector-common", "connector-source")
    assert source.validate({**BASE, "transaction.boundary": "POLL", "exactly.once.support": "Required"}) == {}
    assert one_error(source, {**BASE, "transaction.boundary": "x"}, "transaction.boundary") == (
        "Invalid value x for configuration transaction.boundary: "
        "String must be one of (case insensitive): poll, interval, connector")


def test_pattern_and_other_jsonschema_messages():
    d = ConfigDefinition.of({"type": "object", "properties": {"p": {"type": "string", "pattern": "^[a-z]+$"}}})
    assert one_error(d, {"p": "X1"}, "p") == "Invalid value X1 for configuration p: 'X1' does not match '^[a-z]+$'"
    assert one_error(sink(), {**BASE, "name": ""}, "name") == \
        "Invalid value  for configuration name: String may not be empty"
    assert one_error(sink(), {**BASE, "topics": "a,a", "transforms": "x,x"}, "transforms") == \
        "Invalid value [x, x] for configuration transforms: Duplicate alias provided."
    assert one_error(sink(), {**BASE, "topics.regex": "("}, "topics.regex").startswith(
        "Invalid value ( for configuration topics.regex: Invalid regex: ")
    assert one_error(ConfigDefinition.load("file-stream-source"), {"topic": ""}, "topic") == \
        "Invalid value  for configuration topic: String must be non-empty"


def test_worker_replication_factor_and_partitions():
    w = ConfigDefinition.load("worker")
    props = {"key.converter": "K", "value.converter": "V"}
    assert w.validate({**props, "config.storage.replication.factor": "-1", "status.storage.partitions": "-1"}) == {}
    assert one_error(w, {**props, "offset.storage.replication.factor": "0"}, "offset.storage.replication.factor") == (
        "Invalid value 0 for configuration offset.storage.replication.factor: Replication factor must be positive "
        "and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default")
    assert one_error(w, {**props, "offset.storage.partitions": "0"}, "offset.storage.partitions").endswith(
        "Number of partitions must be positive, or -1 to use the broker's default")


def test_password_values_are_hidden_in_error_messages():
    d = ConfigDefinition.of({"type": "object", "properties": {
        "pw": {"type": "string", "x-connect-type": "PASSWORD", "minLength": 5}}})
    assert one_error(d, {"pw": "abc"}, "pw").startswith("Invalid value [hidden] for configuration pw: ")
    assert "abc" not in one_error(d, {"pw": "abc"}, "pw")


def test_top_level_constraints_map_onto_keys():
    d = ConfigDefinition.of({
        "type": "object",
        "properties": {"mode": {"type": "string", "default": "a"}, "col": {"type": "string"}},
        "dependentRequired": {"col": ["mode"]},
        "if": {"properties": {"mode": {"const": "b"}}},
        "then": {"required": ["col"]},
    })
    assert d.validate({}) == {}
    assert d.validate({"mode": "b"}) == {"col": ['Missing required configuration "col" which has no default value.']}


def test_validate_orders_by_definition_and_reports_only_bad_keys():
    errors = sink().validate({"tasks.max": "0", "errors.tolerance": "x", "name": "n"})
    assert list(errors) == ["connector.class", "tasks.max", "errors.tolerance"]


def test_aliases():
    d = ConfigDefinition.of({"type": "object", "properties": {
        "new.key": {"type": "integer", "x-aliases": ["old.key"]}}})
    assert d.parse({"old.key": "5"})["new.key"] == 5
    assert d.parse({"old.key": "5", "new.key": "6"})["new.key"] == 6


# --------------------------------------------------------------------------- merge / of

def test_merge_later_wins_and_keeps_position():
    first = ConfigDefinition.of({"type": "object", "x-groups": ["G1"], "properties": {
        "a": {"type": "integer", "default": 1, "x-group": "G1"},
        "b": {"type": "string", "x-group": "G1"}}, "required": ["b"]})
    second = {"type": "object", "x-groups": ["G2"], "properties": {
        "b": {"type": "string", "default": "x", "x-group": "G1"},
        "a": {"type": "integer", "default": 2, "maximum": 5, "x-group": "G1"},
        "c": {"type": "boolean", "default": True, "x-group": "G2"}}}
    merged = first.merge(second)
    assert list(merged.keys) == ["a", "b", "c"]
    assert merged.keys["a"].default == 2 and merged.keys["b"].default == "x" and not merged.keys["b"].required
    assert merged.groups == ["G1", "G2"]
    assert merged.validate({}) == {}
    assert "a" in merged.validate({"a": "6"})
    assert list(first.keys) == ["a", "b"] and first.keys["a"].default == 1  # originals untouched


def test_load_merges_files_in_order_later_file_wins(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"type": "object", "properties": {
        "k": {"type": "integer", "default": 1}, "only1": {"type": "string", "default": "x"}}}))
    (tmp_path / "two.json").write_text(json.dumps({"type": "object", "properties": {
        "k": {"type": "integer", "default": 2}}}))
    merged = ConfigDefinition.load(str(tmp_path / "one.json"), str(tmp_path / "two.json"))
    assert merged.keys["k"].default == 2 and list(merged.keys) == ["k", "only1"]
    reverse = ConfigDefinition.load(str(tmp_path / "two.json"), str(tmp_path / "one.json"))
    assert reverse.keys["k"].default == 1


def test_sink_and_source_merges():
    d = sink()
    assert d.keys["topics"].order == 4 and d.keys["errors.deadletterqueue.topic.name"].order == 6
    assert d.groups == ["Common", "Transforms", "Predicates", "Error Handling"]
    source = ConfigDefinition.load("connector-common", "connector-source")
    assert source.groups[-3:] == ["Topic Creation", "Exactly Once Support", "offsets.topic"]


def test_of_accepts_definition_dict_and_none():
    d = sink()
    assert ConfigDefinition.of(d) is d
    empty = ConfigDefinition.of(None)
    assert len(empty) == 0 and empty.parse({"x": "1"}) == {"x": "1"}
    from_dict = ConfigDefinition.of(TYPED)
    assert isinstance(from_dict, ConfigDefinition) and "i" in from_dict
    assert ConfigDefinition.of(dict(TYPED)) is from_dict  # cached by content
    with pytest.raises(TypeError):
        ConfigDefinition.of(42)


def test_of_rejects_invalid_schema():
    with pytest.raises(Exception):
        ConfigDefinition.of({"type": "object", "properties": {"x": {"type": "no-such-type"}}})


def test_json_schema_round_trip():
    d = sink()
    doc = d.to_json_schema()
    Draft202012Validator.check_schema(doc)
    again = ConfigDefinition.from_json_schema(doc)
    assert list(again.keys) == list(d.keys) and again.groups == d.groups
    assert again.config_key_infos() == d.config_key_infos()


# --------------------------------------------------------------------------- REST shapes

INFO_FIELDS = ["name", "type", "required", "default_value", "importance", "documentation", "group", "width",
               "display_name", "dependents", "order"]


def test_config_key_infos_shape():
    infos = {i["name"]: i for i in sink().config_key_infos()}
    assert all(list(i) == INFO_FIELDS for i in infos.values())
    assert infos["topics"] == {
        "name": "topics", "type": "LIST", "required": False, "default_value": "", "importance": "HIGH",
        "documentation": "List of topics to consume, separated by commas", "group": "Common", "width": "LONG",
        "display_name": "Topics", "dependents": [], "order": 4}
    assert infos["name"]["required"] is True and infos["name"]["default_value"] is None
    assert infos["tasks.max"]["default_value"] == "1"
    assert infos["errors.log.enable"]["default_value"] == "false"
    assert infos["key.converter"]["default_value"] is None
    assert infos["errors.deadletterqueue.topic.replication.factor"]["type"] == "SHORT"
    worker = {i["name"]: i for i in ConfigDefinition.load("worker").config_key_infos()}
    assert worker["bootstrap.servers"]["default_value"] == "localhost:9092"
    assert worker["listeners"]["default_value"] == "http://:8083"


def test_validate_response_shape_and_error_count():
    d = sink().merge({"type": "object", "properties": {
        "connection.password": {"type": "string", "x-connect-type": "PASSWORD", "default": None}}})
    props = {"connector.class": "FileStreamSink", "tasks.max": "0", "connection.password": "s3cret",
             "errors.tolerance": "all"}
    extra = sink_topics_errors(props)
    extra["connection.url"] = ["Could not connect"]
    resp = d.validate_response("org.example.Sink", props, extra)
    assert list(resp) == ["name", "error_count", "groups", "configs"]
    assert resp["name"] == "org.example.Sink"
    assert resp["groups"] == ["Common", "Transforms", "Predicates", "Error Handling"]
    # name missing, tasks.max too low, topics + topics.regex neither set, connection.url
    assert resp["error_count"] == 5
    configs = resp["configs"]
    assert len(configs) == len(d.keys) + 1
    assert configs[0] == {"definition": None, "value": {
        "name": "connection.url", "value": None, "recommended_values": [], "errors": ["Could not connect"],
        "visible": True}}
    by_name = {c["value"]["name"]: c for c in configs}
    assert by_name["tasks.max"]["value"] == {
        "name": "tasks.max", "value": "0", "recommended_values": [],
        "errors": ["Invalid value 0 for configuration tasks.max: Value must be at least 1"], "visible": True}
    assert by_name["tasks.max"]["definition"]["name"] == "tasks.max"
    assert by_name["connection.password"]["value"]["value"] == HIDDEN
    assert by_name["errors.tolerance"]["value"]["value"] == "all"
    assert by_name["errors.tolerance"]["value"]["recommended_values"] == ["none", "all"]
    assert by_name["errors.retry.delay.max.ms"]["value"]["value"] == "60000"  # default, rendered
    assert by_name["key.converter"]["value"]["value"] is None
    assert by_name["topics"]["value"]["errors"] == ["Must configure one of topics or topics.regex"]
    assert by_name["name"]["value"]["errors"] == ['Missing required configuration "name" which has no default value.']
    assert sum(len(c["value"]["errors"]) for c in configs) == resp["error_count"]


def test_validate_response_valid_config_has_no_errors():
    resp = sink().validate_response("FileStreamSink", {**BASE, "topics": "t"}, sink_topics_errors({"topics": "t"}))
    assert resp["error_count"] == 0 and all(c["definition"] for c in resp["configs"])


# --------------------------------------------------------------------------- module functions

def test_invalid_config_message_text():
    msg = invalid_config_message({"a": ["first", "second"], "b": ["third"]})
    assert msg == ("Connector configuration is invalid and contains the following 3 error(s):\n"
                   "first\nsecond\nthird\n"
                   "You can also find the above list of errors at the endpoint "
                   "`/connector-plugins/{connectorType}/config/validate`")


def test_sink_topics_errors():
    neither = "Must configure one of topics or topics.regex"
    both = "topics and topics.regex are mutually exclusive options, but both are set."
    assert sink_topics_errors({}) == {"topics": [neither], "topics.regex": [neither]}
    assert sink_topics_errors({"topics": " ", "topics.regex": ""}) == {"topics": [neither], "topics.regex": [neither]}
    assert sink_topics_errors({"topics": "a", "topics.regex": "b.*"}) == {"topics": [both], "topics.regex": [both]}
    assert sink_topics_errors({"topics": "a,b"}) == {}
    assert sink_topics_errors({"topics.regex": "a.*"}) == {}
    assert sink_topics_errors({"topics": "a, dlq", "errors.deadletterqueue.topic.name": "dlq"}) == {"topics": [
        "The DLQ topic 'dlq' may not be included in the list of topics ('topics=[a, dlq]') consumed by the connector"]}
    assert sink_topics_errors({"topics.regex": "d.*", "errors.deadletterqueue.topic.name": "dlq"}) == {
        "topics.regex": ["The DLQ topic 'dlq' may not be matched by the regex for the topics "
                         "('topics.regex=d.*') consumed by the connector"]}
    assert sink_topics_errors({"topics.regex": "x.*", "errors.deadletterqueue.topic.name": "dlq"}) == {}


def test_mask_passwords():
    d = ConfigDefinition.of({"type": "object", "properties": {
        "secret.token": {"type": "string", "x-connect-type": "PASSWORD"}}})
    config = {"secret.token": "t", "connection.password": "p", "value.converter.basic.auth.user.info": "u:p",
              "connection.user": "me", "ssl.key.password": None}
    masked = mask_passwords(config, d)
    assert masked == {"secret.token": HIDDEN, "connection.password": HIDDEN,
                      "value.converter.basic.auth.user.info": HIDDEN, "connection.user": "me",
                      "ssl.key.password": None}
    assert config["connection.password"] == "p"  # a copy
    assert mask_passwords({"Connection.Password": "x"}, None) == {"Connection.Password": HIDDEN}


# --------------------------------------------------------------------------- docs

def test_to_markdown_table():
    md = ConfigDefinition.load("file-stream-source").to_markdown()
    lines = md.strip().splitlines()
    assert lines[0] == "| Key | Type | Default | Valid values | Importance | Description |"
    assert lines[2].startswith("| `file` | string | null |")
    assert "| `topic` | string | *required* | non-empty string | high | The topic to publish data to |" in lines
    assert "| `batch.size` | int | `2000` | [1,...] | low |" in md
    sink_md = sink().to_markdown()
    assert "| `errors.tolerance` | string | `none` | none, all | medium |" in sink_md
    assert '| `topics` | list | `""` |' in sink_md
    assert all(line.count(" | ") >= 5 for line in sink_md.strip().splitlines() if line.startswith("| `"))


def test_gen_config_docs_tool_prints_every_schema():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_config_docs.py")], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("## Worker\n")  # level 2: the schemas are sections of docs/reference/config.md
    level3 = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_config_docs.py"), "--level", "3"],
                            capture_output=True, text=True, check=True).stdout
    assert level3.startswith("### Worker\n")
    for path in SCHEMAS:
        assert f"`schemas/{path.name}`" in out
    assert "| `bootstrap.servers` | list | `localhost:9092` |" in out


def test_passwords_inside_url_values_are_hidden():
    from dbconnect.api.config import mask_passwords

    masked = mask_passwords({"connection.url": "jdbc:postgresql://h:5432/db?user=u&password=s3cret",
                             "other": "postgresql://u:s3cret@h/db", "plain": "x@y"})
    assert masked == {"connection.url": "jdbc:postgresql://h:5432/db?user=u&password=[hidden]",
                      "other": "postgresql://u:[hidden]@h/db", "plain": "x@y"}
    definition = ConfigDefinition.from_json_schema({"type": "object", "properties": {"connection.url": {"type": "string"}}})
    response = definition.validate_response("c", {"connection.url": "jdbc:mariadb://h/db?password=s3cret"})
    assert "s3cret" not in json.dumps(response)
