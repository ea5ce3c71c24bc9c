"""Seed 000's worker: JsonConverter with ``value.converter.schema.registry.url``. Kafka's JsonConverter
uses no Schema Registry; the setting is accepted (the seed's compose works unchanged) and named in
one WARNING: at worker start for the worker's settings, at connector start for a connector's own."""

from __future__ import annotations

import logging
import time
import uuid

import orjson
import pytest
import requests

from tests.compose_stack import environment, services

from .test_compose_stack import compose_worker
from .test_file_pipeline import source_config

pytestmark = pytest.mark.integration

WORKER_WARNING = ("value.converter.schema.registry.url is set in the worker config, but "
                  "org.apache.kafka.connect.json.JsonConverter does not use a Schema Registry")
POINTER = "io.confluent.connect.json.JsonSchemaConverter is the converter that writes and reads schemas"


def test_the_seeds_worker_environment_warns_once_and_runs_a_connector(broker, tmp_path, topic_name):
    """compose/docker-compose.yml's connect-1 environment (seed 000's converters: StringConverter keys,
    JsonConverter values, CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL) given to `dbconnect distributed`
    as it is, but for the broker, the group and topics of this test's own and the REST port."""
    compose_env = environment(services()["connect-1"])
    assert compose_env["CONNECT_VALUE_CONVERTER"] == "org.apache.kafka.connect.json.JsonConverter"
    assert compose_env["CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL"] == "http://schema-registry:8081"
    tag = uuid.uuid4().hex[:8]
    source = tmp_path / "lines.txt"
    source.write_text("one\ntwo\n")
    with compose_worker(broker, tmp_path, tag) as (url, log, deadline):
        # The tutorial's next step: a connector on this worker, its values through the JsonConverter.
        config = {k: v for k, v in source_config(source, topic_name).items() if k != "name"}
        # Until the worker has joined its group it answers 409 (a rebalance is expected): retried,
        # as the compose stack's register script does.
        while True:
            response = requests.put(f"{url}/connectors/seed-source-{tag}/config", json=config, timeout=30)
            if response.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert response.status_code == 201, response.text
        # The topic is auto-created (4 partitions on the test broker): read them all.
        records = broker.consume(topic_name, 2, timeout=90, partition=None)
        assert sorted((orjson.loads(r.value()) for r in records), key=lambda v: v["payload"]) == [
            {"schema": {"type": "string", "optional": False}, "payload": "one"},
            {"schema": {"type": "string", "optional": False}, "payload": "two"}]
    lines = log.read_text().splitlines()
    warnings = [line for line in lines if "does not use a Schema Registry" in line]
    # One line, at start: the connector (whose records arrived above) started without repeating it.
    assert len(warnings) == 1, "\n".join(warnings)
    assert " WARNING " in warnings[0] and WORKER_WARNING in warnings[0] and POINTER in warnings[0]
    assert "http://schema-registry:8081" not in warnings[0]


def test_a_connectors_own_registry_url_is_named_when_it_starts(start_worker, broker, tmp_path, topic_name, caplog):
    """The seed's converters at worker level without the URL; the connector adds the URL for its
    JsonConverter values. It runs, and its start logs the one warning naming it."""
    source = tmp_path / "lines.txt"
    source.write_text("one\n")
    with caplog.at_level(logging.WARNING, logger="dbconnect.runtime.converter_settings"):
        worker = start_worker(**{"key.converter": "org.apache.kafka.connect.storage.StringConverter"})
        config = {k: v for k, v in source_config(source, topic_name).items() if k != "name"}
        config["value.converter.schema.registry.url"] = "http://schema-registry:8081"
        response = worker.put("/connectors/registry-url-source/config", json=config)
        assert response.status_code == 201, response.text
        worker.wait_for_state("registry-url-source")
        [record] = broker.consume(topic_name, 1, timeout=60, partition=None)
    assert orjson.loads(record.value())["payload"] == "one"
    warnings = [r.getMessage() for r in caplog.records if r.name == "dbconnect.runtime.converter_settings"]
    assert warnings == [
        "value.converter.schema.registry.url is set in the config of connector registry-url-source, but "
        "org.apache.kafka.connect.json.JsonConverter does not use a Schema Registry: the setting has no effect "
        "(Kafka's JsonConverter ignores it too). io.confluent.connect.json.JsonSchemaConverter is the converter "
        "that writes and reads schemas in a Schema Registry."]
