"""transforms_config: the chain a task builds from transforms.*/predicates.*, and the keys and errors
validate reports under each alias (Kafka's ConnectorConfig.transformationStages and enrich)."""

from __future__ import annotations

from typing import Any

import pytest

from dbconnect.api.errors import ConnectError, DataError
from dbconnect.api.records import SourceRecord
from dbconnect.api.transformation import Predicate, Transformation
from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.transformation_chain import TransformationFailed
from dbconnect.runtime.transforms_config import TransformsConfig

SEEN: list[tuple[str, dict[str, Any]]] = []


class Recorder(Transformation):
    """Appends its ``tag`` to the value; remembers what configure received."""

    def configure(self, configs):
        SEEN.append(("transform", dict(configs)))
        self.tag = configs.get("tag", "")

    def apply(self, record):
        return record.new_record(value=f"{record.value}{self.tag}")


class Dropper(Transformation):
    def apply(self, record):
        return None


class Boom(Transformation):
    def apply(self, record):
        raise DataError("boom")


class TopicIs(Predicate):
    def configure(self, configs):
        SEEN.append(("predicate", dict(configs)))
        self.topic = configs["topic"]

    def test(self, record):
        return record.topic == self.topic


def name(cls: type) -> str:
    return f"{__name__}.{cls.__qualname__}"


@pytest.fixture
def plugins():
    SEEN.clear()
    return Plugins(load_entry_points=False)


def record(topic="t", value="v"):
    return SourceRecord({"p": 1}, {"o": 1}, topic, value=value)


def test_no_transforms_is_an_empty_chain(plugins):
    assert TransformsConfig(plugins, {"name": "c"}).build_chain().stages == []


def test_stages_in_order_configured_with_the_prefix_stripped_type_included(plugins):
    config = {"transforms": "a, b", "transforms.a.type": name(Recorder), "transforms.a.tag": "1",
              "transforms.b.type": name(Recorder), "transforms.b.tag": "2", "transforms.bb.tag": "x"}
    chain = TransformsConfig(plugins, config).build_chain()
    assert chain.apply(record()).value == "v12"
    assert SEEN == [("transform", {"type": name(Recorder), "tag": "1"}),
                    ("transform", {"type": name(Recorder), "tag": "2"})]


def test_builtins_by_java_class_name_short_alias_and_python_path(plugins):
    config = {"transforms": "k,e,v",
              "transforms.k.type": "org.apache.kafka.connect.transforms.ValueToKey", "transforms.k.fields": "id",
              "transforms.e.type": "ExtractField$Key", "transforms.e.field": "id",
              "transforms.v.type": "dbconnect.transforms.extract_field.ExtractFieldValue", "transforms.v.field": "name"}
    out = TransformsConfig(plugins, config).build_chain().apply(record(value={"id": 7, "name": "x"}))
    assert (out.key, out.value) == (7, "x")


@pytest.mark.parametrize("negate, topic, applied", [
    ("false", "orders", True), ("false", "other", False), ("true", "orders", False), ("true", "other", True),
])
def test_predicate_and_negate(plugins, negate, topic, applied):
    config = {"transforms": "a", "transforms.a.type": name(Recorder), "transforms.a.tag": "!",
              "transforms.a.predicate": "isOrders", "transforms.a.negate": negate,
              "predicates": "isOrders", "predicates.isOrders.type": name(TopicIs), "predicates.isOrders.topic": "orders"}
    chain = TransformsConfig(plugins, config).build_chain()
    assert chain.apply(record(topic=topic)).value == ("v!" if applied else "v")
    # predicate and negate are not passed to the transform; the predicate gets its own keys, type too
    assert ("transform", {"type": name(Recorder), "tag": "!"}) in SEEN
    assert ("predicate", {"type": name(TopicIs), "topic": "orders"}) in SEEN


def test_a_dropped_record_ends_the_chain(plugins):
    config = {"transforms": "d,r", "transforms.d.type": name(Dropper), "transforms.r.type": name(Boom)}
    assert TransformsConfig(plugins, config).build_chain().apply(record()) is None


def test_a_failure_names_the_failing_stage(plugins):
    config = {"transforms": "r,b", "transforms.r.type": name(Recorder), "transforms.b.type": name(Boom)}
    chain = TransformsConfig(plugins, config).build_chain()
    with pytest.raises(TransformationFailed) as info:
        chain.apply(record())
    assert isinstance(info.value.transform, Boom) and str(info.value.error) == "boom"


@pytest.mark.parametrize("config, message", [
    ({"transforms": "a", "transforms.a.type": "com.example.Nope"},
     "Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found."),
    ({"transforms": "a"}, 'Missing required configuration "transforms.a.type"'),
    ({"transforms": "a", "transforms.a.type": "ValueToKey"}, "'a'"),
    ({"transforms": "a", "transforms.a.type": name(Recorder), "transforms.a.predicate": "p"},
     "names the predicate 'p', which is not listed in 'predicates'"),
])
def test_a_chain_that_cannot_be_built_fails_naming_the_alias(plugins, config, message):
    with pytest.raises(ConnectError) as info:
        TransformsConfig(plugins, config).build_chain()
    assert message in str(info.value)


def enrich(plugins, config):
    definition, errors = TransformsConfig(plugins, config).enrich()
    errors = {**definition.validate(config), **errors}
    return definition, errors


def test_enrich_adds_each_aliases_keys_in_its_group(plugins):
    config = {"transforms": "k", "transforms.k.type": "ValueToKey", "transforms.k.fields": "id",
              "predicates": "p", "predicates.p.type": name(TopicIs)}
    definition, errors = enrich(plugins, config)
    assert errors == {}
    assert list(definition.keys) == ["transforms.k.type", "transforms.k.predicate", "transforms.k.negate",
                                     "transforms.k.fields", "transforms.k.replace.null.with.default",
                                     "predicates.p.type"]
    assert definition.groups == ["Transforms: k", "Predicates: p"]
    assert definition.keys["transforms.k.fields"].group == "Transforms: k"
    assert definition.keys["transforms.k.fields"].required


@pytest.mark.parametrize("config, key, message", [
    ({"transforms": "a", "transforms.a.type": "com.example.Nope"}, "transforms.a.type",
     "Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found."),
    ({"transforms": "a", "transforms.a.type": "ExtractField$Value"}, "transforms.a.field",
     'Missing required configuration "transforms.a.field" which has no default value.'),
    ({"transforms": "a", "transforms.a.type": "ValueToKey", "transforms.a.fields": ""}, "transforms.a.fields",
     "Invalid value [] for configuration transforms.a.fields: Empty list"),
    ({"transforms": "a", "transforms.a.type": "io.confluent.connect.jdbc.JdbcSourceConnector"}, "transforms.a.type",
     "for configuration transforms.a.type: Not a Transformation"),
    ({"transforms": "a", "transforms.a.type": "ValueToKey", "transforms.a.fields": "id", "transforms.a.predicate": "p"},
     "transforms.a.predicate", "Invalid value p for configuration transforms.a.predicate: the predicate 'p' is not defined"),
    ({"transforms": "a", "transforms.a.type": "ValueToKey", "transforms.a.fields": "id", "transforms.a.negate": "true"},
     "transforms.a.negate", "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate'"),
    ({"transforms": "a", "transforms.a.type": "ValueToKey", "transforms.a.fields": "id", "transforms.a.predicate": "p",
      "predicates": "p"}, "predicates.p.type", 'Missing required configuration "predicates.p.type"'),
    ({"transforms": "a", "transforms.a.type": "RegexRouter", "transforms.a.regex": "(x",
      "transforms.a.replacement": "y"}, "transforms.a.regex",
     "Invalid value (x for configuration transforms.a.regex: Invalid regex: "),
    ({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p", "predicates": "p",
      "predicates.p.type": "TopicNameMatches"}, "predicates.p.pattern",
     'Missing required configuration "predicates.p.pattern" which has no default value.'),
    ({"transforms": "a", "transforms.a.type": "ValueToKey", "transforms.a.fields": "id", "transforms.a.predicate": "p",
      "predicates": "p", "predicates.p.type": "ValueToKey"}, "predicates.p.type",
     "Invalid value ValueToKey for configuration predicates.p.type: Not a Predicate"),
])
def test_enrich_errors_name_the_alias_and_the_key(plugins, config, key, message):
    _, errors = enrich(plugins, config)
    assert any(message in m for m in errors.get(key, [])), errors


def test_configure_errors_under_the_aliases_key(plugins):
    config = {"transforms": "a", "transforms.a.type": "ExtractField$Key", "transforms.a.field": "`x",
              "transforms.a.field.syntax.version": "V2"}
    errors = TransformsConfig(plugins, config).configure_errors()
    assert list(errors) == ["transforms.a.field"]
    assert errors["transforms.a.field"][0].startswith("Invalid value `x for configuration transforms.a.field: "
                                                      "Incomplete backtick pair")


class Signer(Transformation):
    """A transform with a PASSWORD key whose name does not look secret."""

    def config(self):
        return {"type": "object", "properties": {"magic": {"type": "string", "x-connect-type": "PASSWORD"}}}

    def apply(self, record):
        return record


def test_a_transforms_password_key_is_hidden_like_the_connectors(plugins):
    from dbconnect.api.config import HIDDEN, mask_passwords
    from dbconnect.runtime.worker import secret_keys_definition

    config = {"connector.class": "FileStreamSource", "topic": "t", "file": "/tmp/x",
              "transforms": "sign", "transforms.sign.type": name(Signer), "transforms.sign.magic": "abracadabra"}
    definition = secret_keys_definition(plugins, config)
    assert "transforms.sign.magic" in definition.password_keys()
    masked = mask_passwords(config, definition)
    assert masked["transforms.sign.magic"] == HIDDEN and masked["transforms.sign.type"] == name(Signer)
    # A transform that cannot be loaded adds nothing and breaks nothing.
    broken = {**config, "transforms.sign.type": "no.such.Transform"}
    assert mask_passwords(broken, secret_keys_definition(plugins, broken))["transforms.sign.magic"] == "abracadabra"
