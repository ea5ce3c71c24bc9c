"""Connector validation of header.converter (a HeaderConverter, configured by its settings) and of a
source's topic.creation.* keys (refused on a worker with topic.creation.enable=false)."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import BadRequestError
from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.validation import ConnectorValidator

SOURCE = {"name": "s", "connector.class": "FileStreamSource", "file": "/tmp/in.txt", "topic": "t"}


@pytest.fixture(scope="module")
def validator() -> ConnectorValidator:
    return ConnectorValidator(Plugins())


def extra(validator, config):
    return validator.validate(config)[3]


def test_header_converters_by_name(validator):
    for name in ("SimpleHeaderConverter", "org.apache.kafka.connect.storage.SimpleHeaderConverter",
                 "org.apache.kafka.connect.storage.StringConverter", "JsonConverter", "ByteArrayConverter"):
        assert extra(validator, {**SOURCE, "header.converter": name}) == {}, name


def test_not_a_header_converter_or_unknown(validator):
    [message] = extra(validator, {**SOURCE, "header.converter": "io.confluent.connect.json.JsonSchemaConverter"})[
        "header.converter"]
    assert "is a Converter but not a HeaderConverter" in message
    [message] = extra(validator, {**SOURCE, "header.converter": "com.example.Nothing"})["header.converter"]
    assert "Failed to find any class that implements HeaderConverter" in message


def test_header_converter_settings_are_checked(validator):
    errors = extra(validator, {**SOURCE, "header.converter": "JsonConverter",
                               "header.converter.schemas.enable": "maybe"})
    assert errors == {"header.converter.schemas.enable": [
        "Invalid value maybe for configuration schemas.enable: Expected value to be either true or false"]}
    with pytest.raises(BadRequestError, match="schemas.enable"):
        validator.check({**SOURCE, "header.converter": "JsonConverter", "header.converter.schemas.enable": "maybe"})


def test_topic_creation_keys_on_a_worker_that_does_not_create_topics():
    config = {**SOURCE, "topic.creation.default.replication.factor": "1", "topic.creation.default.partitions": "1"}
    assert extra(ConnectorValidator(Plugins()), config) == {}
    refused = extra(ConnectorValidator(Plugins(), topic_creation_enabled=False), config)
    assert set(refused) == {"topic.creation.default.replication.factor", "topic.creation.default.partitions"}

