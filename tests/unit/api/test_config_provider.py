"""api.config_provider: ``${provider:[path:]key}`` references, as Kafka's ConfigTransformer reads them."""

from __future__ import annotations

import pytest

from dbconnect.api import ConfigData, ConfigProvider
from dbconnect.api.config_provider import ConfigTransformer, VariableReference, references
from dbconnect.api.errors import ConfigError


class DictProvider(ConfigProvider):
    def __init__(self, data: dict[str, dict[str, str]]) -> None:
        self.data = data
        self.calls: list[tuple[str, list[str] | None]] = []

    def get(self, path, keys=None):
        self.calls.append((path, None if keys is None else list(keys)))
        if path not in self.data:
            raise ConfigError(f"Could not read properties from file {path}")
        return ConfigData({k: v for k, v in self.data[path].items() if keys is None or k in keys}, ttl=5000)


def test_references_are_parsed_as_kafka_does():
    assert references("${env:PGPASSWORD}") == [VariableReference("env", "", "PGPASSWORD", "${env:PGPASSWORD}")]
    assert references("${file:/etc/s.properties:db.password}") == [
        VariableReference("file", "/etc/s.properties", "db.password", "${file:/etc/s.properties:db.password}")]
    assert references("${dir:/run/secrets:pg}") == [VariableReference("dir", "/run/secrets", "pg", "${dir:/run/secrets:pg}")]
    assert [r.key for r in references("jdbc:postgresql://${env:HOST}:5432/db?password=${env:PW}")] == ["HOST", "PW"]
    assert references("no reference") == []
    assert references("${not a reference}") == []


def test_the_transformer_resolves_every_reference_asking_each_path_once():
    provider = DictProvider({"/s.properties": {"a": "A-value", "b": "B-value"}, "": {}})
    env = DictProvider({"": {"HOST": "db.example"}})
    result = ConfigTransformer({"file": provider, "env": env}).transform({
        "one": "${file:/s.properties:a}",
        "two": "x-${file:/s.properties:b}-${env:HOST}",
        "plain": "as is",
        "none": None,
    })
    assert result.data == {"one": "A-value", "two": "x-B-value-db.example", "plain": "as is", "none": None}
    assert sorted(result.resolved_values) == ["A-value", "B-value", "db.example"]
    assert provider.calls == [("/s.properties", ["a", "b"])]
    assert result.ttls == {"/s.properties": 5000, "": 5000}


def test_an_unknown_provider_fails_naming_it_and_the_keys():
    with pytest.raises(ConfigError) as info:
        ConfigTransformer({"env": DictProvider({"": {}})}).transform({"connection.password": "${vault:/kv/db:pw}"}, "task c-0")
    message = str(info.value)
    assert "task c-0" in message and "config provider 'vault' is not configured" in message
    assert "config.providers lists: env" in message and "key 'pw'" in message


def test_a_missing_key_fails_naming_provider_path_key_and_config_key_but_no_value():
    provider = DictProvider({"/s.properties": {"other": "do-not-show-me"}})
    with pytest.raises(ConfigError) as info:
        ConfigTransformer({"file": provider}).transform({"connection.password": "${file:/s.properties:pg_password}"})
    message = str(info.value)
    assert ("key 'pg_password' in path '/s.properties' of config provider 'file' "
            "(referenced by configuration 'connection.password') has no value") in message
    assert "do-not-show-me" not in message


def test_a_provider_that_cannot_read_its_path_fails_with_its_message():
    with pytest.raises(ConfigError, match="config provider 'file' could not read path '/missing': "
                                          "Could not read properties from file /missing"):
        ConfigTransformer({"file": DictProvider({})}).transform({"k": "${file:/missing:key}"})


def test_a_config_without_references_is_returned_as_is_without_asking_any_provider():
    provider = DictProvider({})
    config = {"a": "1", "b": "$notref", "c": "{x:y}"}
    assert ConfigTransformer({"file": provider}).transform(config).data == config
    assert provider.calls == []
