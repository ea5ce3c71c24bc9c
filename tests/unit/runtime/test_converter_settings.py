"""Schema Registry settings given to a converter that uses none: named in one WARNING each, never
silently ignored (seed 000's compose: JsonConverter with value.converter.schema.registry.url)."""

from __future__ import annotations

import logging

import pytest

from dbconnect.runtime.converter_settings import (
    REGISTRY_CONVERTER,
    connector_warnings,
    unused_registry_settings,
    warn_connector_settings,
    warn_worker_settings,
    worker_warnings,
)
from dbconnect.runtime.plugins import Plugins

JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"
JSON_SCHEMA = "io.confluent.connect.json.JsonSchemaConverter"
URL = "http://schema-registry:8081"


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins(load_entry_points=False)


# The seed's worker, as its CONNECT_* variables become worker settings.
SEED_000_WORKER = {
    "bootstrap.servers": "broker:29092",
    "key.converter": STRING,
    "value.converter": JSON,
    "value.converter.schema.registry.url": URL,
}


def test_the_seeds_jsonconverter_registry_url_is_named(plugins):
    [message] = worker_warnings(plugins, SEED_000_WORKER)
    assert message.startswith("value.converter.schema.registry.url is set in the worker config, but "
                              f"{JSON} does not use a Schema Registry")
    assert "Kafka's JsonConverter ignores it too" in message
    assert f"{REGISTRY_CONVERTER} is the converter that writes and reads schemas in a Schema Registry" in message
    assert URL not in message  # the key, never its value (a URL may carry user:password@)


def test_the_warning_is_logged_once_at_worker_start(plugins, caplog):
    with caplog.at_level(logging.WARNING, logger="dbconnect.runtime.converter_settings"):
        warn_worker_settings(plugins, SEED_000_WORKER)
    records = [r for r in caplog.records if r.name == "dbconnect.runtime.converter_settings"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert "value.converter.schema.registry.url" in records[0].getMessage()


@pytest.mark.parametrize("converter", [JSON, STRING, "ByteArrayConverter", "StringConverter", "JsonConverter"])
def test_every_converter_without_a_registry_is_covered(plugins, converter):
    config = {"key.converter": converter, "key.converter.schema.registry.url": URL,
              "key.converter.schema.registry.basic.auth.user.info": "u:p",
              "value.converter": JSON_SCHEMA, "value.converter.schema.registry.url": URL}
    messages = worker_warnings(plugins, config)
    assert [m.split(" ", 1)[0] for m in messages] == [
        "key.converter.schema.registry.basic.auth.user.info", "key.converter.schema.registry.url"]
    assert all(f"but {converter} does not use a Schema Registry" in m for m in messages)


def test_the_header_converter_default_is_checked_too(plugins):
    [message] = worker_warnings(plugins, {"key.converter": JSON_SCHEMA, "key.converter.schema.registry.url": URL,
                                          "value.converter": JSON_SCHEMA, "value.converter.schema.registry.url": URL,
                                          "header.converter.schema.registry.url": URL})
    assert message.startswith("header.converter.schema.registry.url is set in the worker config, but "
                              "org.apache.kafka.connect.storage.SimpleHeaderConverter does not use")


def test_nothing_to_say_about_the_registry_converter_or_other_settings(plugins):
    config = {"key.converter": JSON_SCHEMA, "key.converter.schema.registry.url": URL,
              "value.converter": JSON_SCHEMA, "value.converter.schema.registry.url": URL,
              "value.converter.schema.registry.basic.auth.user.info": "u:p",
              "header.converter": JSON, "header.converter.schemas.enable": "false"}
    assert worker_warnings(plugins, config) == []
    assert worker_warnings(plugins, {"value.converter": JSON, "value.converter.schemas.enable": "false"}) == []


def test_unknown_converters_are_left_to_their_own_error(plugins):
    assert worker_warnings(plugins, {"value.converter": "no.such.Converter",
                                     "value.converter.schema.registry.url": URL}) == []


def test_unused_registry_settings_reads_the_converters_declared_keys(plugins):
    json_schema, json = plugins.find(JSON_SCHEMA).cls, plugins.find(JSON).cls
    settings = {"schema.registry.url": URL, "schemas.enable": "true"}
    assert unused_registry_settings(json_schema, settings) == []
    assert unused_registry_settings(json, settings) == ["schema.registry.url"]


def test_a_connectors_own_settings_are_named_when_it_starts(plugins, caplog):
    worker = {"key.converter": JSON_SCHEMA, "key.converter.schema.registry.url": URL,
              "value.converter": JSON_SCHEMA, "value.converter.schema.registry.url": URL}
    # The connector switches its values to JsonConverter but keeps the tutorial's registry URL.
    connector = {"connector.class": "FileStreamSink", "value.converter": JSON,
                 "value.converter.schema.registry.url": URL}
    with caplog.at_level(logging.WARNING, logger="dbconnect.runtime.converter_settings"):
        warn_connector_settings(plugins, worker, "pg-sink", connector)
    [record] = [r for r in caplog.records if r.name == "dbconnect.runtime.converter_settings"]
    assert record.getMessage().startswith(
        "value.converter.schema.registry.url is set in the config of connector pg-sink, but "
        f"{JSON} does not use a Schema Registry")
    # Settings only (no class): the worker's converter decides.
    assert connector_warnings(plugins, {"value.converter": JSON}, "c",
                              {"value.converter.schema.registry.url": URL})
    assert connector_warnings(plugins, worker, "c", {"value.converter.schema.registry.url": URL}) == []
    # The worker's own settings were the worker start's to report: not repeated per connector.
    assert connector_warnings(plugins, SEED_000_WORKER, "c", {"connector.class": "FileStreamSink"}) == []
