"""runtime.properties: the properties syntax, connector files, CONNECT_* environment variables."""

from __future__ import annotations

import json

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.runtime.properties import load_connector_file, parse_properties


def test_properties_syntax():
    text = "# comment\n! also\nname=local-file-source # 커넥터에서 식별하는 이름\na = b\nc:d\ne f\nlong=x\\\n   y\nurl=jdbc:x?a=b#frag\nesc=tab\\tand\\u0041\nempty=\n"
    assert parse_properties(text) == {
        "name": "local-file-source", "a": "b", "c": "d", "e": "f", "long": "xy",
        "url": "jdbc:x?a=b#frag", "esc": "tab\tandA", "empty": "",
    }


def test_connector_files(tmp_path):
    body = tmp_path / "post.json"
    body.write_text(json.dumps({"name": "n1", "config": {"connector.class": "FileStreamSink", "tasks.max": 1, "x": True}, "initial_state": "PAUSED"}))
    assert load_connector_file(body) == ("n1", {"connector.class": "FileStreamSink", "tasks.max": "1", "x": "true", "name": "n1"}, "PAUSED")
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"name": "n2", "connector.class": "FileStreamSink"}))
    assert load_connector_file(flat)[0] == "n2"
    props = tmp_path / "c.properties"
    props.write_text("name=n3\nconnector.class=FileStreamSource\n")
    assert load_connector_file(props)[1]["connector.class"] == "FileStreamSource"
    nameless = tmp_path / "nameless.properties"
    nameless.write_text("connector.class=FileStreamSource\n")
    with pytest.raises(ConfigError, match="has no name"):
        load_connector_file(nameless)
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"name": "n", "config": {"a": {"b": 1}}}))
    with pytest.raises(ConfigError, match="must be a string"):
        load_connector_file(nested)


def test_connect_environment_variables_become_worker_properties():
    from dbconnect.runtime.properties import properties_from_env

    env = {
        "CONNECT_BOOTSTRAP_SERVERS": "broker:29092",
        "CONNECT_REST_ADVERTISED_HOST_NAME": "connect",
        "CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL": "http://schema-registry:8081",
        "CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_PRODUCER_CLIENT__ID": "x",
        "CONNECT_SOME___DASHED": "y",
        "CONNECT_LOG4J_ROOT_LOGLEVEL": "INFO",
        "PATH": "/usr/bin",
    }
    assert properties_from_env(env) == {
        "bootstrap.servers": "broker:29092",
        "rest.advertised.host.name": "connect",
        "value.converter.schema.registry.url": "http://schema-registry:8081",
        "config.storage.replication.factor": "1",
        "producer.client_id": "x",
        "some-dashed": "y",
    }
