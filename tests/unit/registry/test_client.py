"""Schema Registry client and JsonSchemaConverter: pure logic (no HTTP; see the integration tests)."""

from __future__ import annotations

import pytest
import requests

from dbconnect.api.data import STRING_SCHEMA, SchemaBuilder
from dbconnect.api.errors import ConfigError, ConnectError, DataError
from dbconnect.converters import BUILTIN_CONVERTERS
from dbconnect.converters.jsonschema import (
    JsonSchemaConverter, record_name_strategy, subject_name_strategy, topic_name_strategy, topic_record_name_strategy,
)
from dbconnect.registry import client as client_module
from dbconnect.registry.client import SchemaRegistryClient, acquire_client, client_settings, release_client
from dbconnect.registry.errors import (
    SchemaRegistryError, SchemaRegistryUnavailableError, parse_error_body, redact_url,
)
from dbconnect.runtime.plugins import Plugins

URL = "http://registry.invalid:8081"


# -- subject name strategies ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("TopicNameStrategy", topic_name_strategy),
    ("io.confluent.kafka.serializers.subject.TopicNameStrategy", topic_name_strategy),
    ("RecordNameStrategy", record_name_strategy),
    ("io.confluent.kafka.serializers.subject.RecordNameStrategy", record_name_strategy),
    (" TopicRecordNameStrategy ", topic_record_name_strategy),
    ("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy", topic_record_name_strategy),
])
def test_strategies_by_short_and_class_name(name, expected):
    assert subject_name_strategy(name) is expected


def test_strategy_subjects():
    assert topic_name_strategy("orders", False, "x") == "orders-value"
    assert topic_name_strategy("orders", True, None) == "orders-key"
    assert record_name_strategy("orders", False, "com.example.Order") == "com.example.Order"
    assert topic_record_name_strategy("orders", True, "com.example.Order") == "orders-com.example.Order"
    with pytest.raises(DataError, match="RecordNameStrategy needs a record name"):
        record_name_strategy("orders", False, None)


def test_unknown_strategy_is_a_config_error_in_kafkas_words():
    with pytest.raises(ConfigError) as info:
        subject_name_strategy("com.example.MyStrategy", "key.subject.name.strategy")
    assert str(info.value) == ("Invalid value com.example.MyStrategy for configuration key.subject.name.strategy: "
                               "Class com.example.MyStrategy could not be found.")


# -- client settings -----------------------------------------------------------------------------------

def test_settings_defaults_and_prefixed_forms():
    settings = client_settings({"schema.registry.url": f"{URL}, http://second:8081"})
    assert settings == {"urls": (URL, "http://second:8081"), "user_info": None, "timeout": 30.0,
                        "max_retries": 3, "retry_backoff_ms": 1000, "max_retry_backoff_ms": 20000}
    settings = client_settings({"schema.registry.url": URL, "basic.auth.credentials.source": "USER_INFO",
                                "schema.registry.basic.auth.user.info": "fred:s3cret", "max.retries": "1",
                                "retries.wait.ms": "5", "schema.registry.retries.max.wait.ms": 7,
                                "request.timeout.ms": "2500"})
    assert settings["user_info"] == "fred:s3cret"
    assert (settings["max_retries"], settings["retry_backoff_ms"], settings["max_retry_backoff_ms"]) == (1, 5, 7)
    assert settings["timeout"] == 2.5


def test_missing_url():
    with pytest.raises(ConfigError) as info:
        client_settings({})
    assert str(info.value) == 'Missing required configuration "schema.registry.url" which has no default value.'
    with pytest.raises(ConfigError, match="Missing required configuration"):
        SchemaRegistryClient(" , ")


def test_credential_sources():
    with pytest.raises(ConfigError, match="SASL_INHERIT is not supported"):
        client_settings({"schema.registry.url": URL, "basic.auth.credentials.source": "SASL_INHERIT"})
    with pytest.raises(ConfigError, match="must be set when basic.auth.credentials.source is USER_INFO"):
        client_settings({"schema.registry.url": URL, "basic.auth.credentials.source": "USER_INFO"})
    with pytest.raises(ConfigError, match="String must be one of: URL, USER_INFO, SASL_INHERIT"):
        client_settings({"schema.registry.url": URL, "basic.auth.credentials.source": "BEARER"})
    # URL: the user info setting is ignored, credentials come from the URL.
    assert client_settings({"schema.registry.url": URL, "basic.auth.credentials.source": "url",
                            "basic.auth.user.info": "a:b"})["user_info"] is None


def test_bad_values_never_echo_secrets():
    with pytest.raises(ConfigError) as info:
        client_settings({"schema.registry.url": URL, "basic.auth.user.info": "no-colon-secret"})
    assert "no-colon-secret" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        client_settings({"schema.registry.url": "ftp://u:pw@host"})
    assert "pw" not in str(info.value)
    with pytest.raises(ConfigError, match="Invalid value x for configuration max.retries: Not a number of type INT"):
        client_settings({"schema.registry.url": URL, "max.retries": "x"})


def test_credentials_in_urls_are_stripped_and_used():
    client = SchemaRegistryClient("http://fred:p%40ss@registry.invalid:8081/")
    assert client.urls == [URL] and client._auth == ("fred", "p@ss")
    explicit = SchemaRegistryClient("http://fred:x@registry.invalid:8081", user_info="anna:y")
    assert explicit._auth == ("anna", "y")
    assert redact_url("https://fred:secret@host:8081/subjects") == "https://***@host:8081/subjects"
    assert redact_url("http://host/x") == "http://host/x"


# -- errors ------------------------------------------------------------------------------------------------

def test_error_bodies():
    assert parse_error_body(404, b'{"error_code":40403,"message":"Schema not found"}') == (40403, "Schema not found")
    assert parse_error_body(502, b"<html><body>Bad Gateway</body></html>", "Bad Gateway") == (
        None, "<html><body>Bad Gateway</body></html>")
    assert parse_error_body(500, b"", "Internal Server Error") == (None, "Internal Server Error")
    assert parse_error_body(409, b'{"error_code":409}', "Conflict") == (409, "Conflict")


def test_error_attributes_and_message():
    error = SchemaRegistryError("Schema not found", 404, 40403, "http://u:pw@host:8081/schemas/ids/9")
    assert (error.status_code, error.error_code, error.message) == (404, 40403, "Schema not found")
    assert str(error) == "Schema not found; error code: 40403 (HTTP 404 from GET http://***@host:8081/schemas/ids/9)"
    assert "pw" not in str(error) and error.not_found
    assert isinstance(error, ConnectError) and not isinstance(error, DataError)
    assert issubclass(SchemaRegistryUnavailableError, SchemaRegistryError)


class _DeadSession:
    """A session whose every request fails to connect; records the URLs tried."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def request(self, method, url, **kwargs):
        self.calls.append(url)
        raise requests.ConnectionError(f"connection refused: {url}")

    def close(self) -> None:
        pass


def test_retries_fail_over_and_back_off(monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    session = _DeadSession()
    client = SchemaRegistryClient(["http://a:1", "http://b:2"], max_retries=3, retry_backoff_ms=100,
                                  max_retry_backoff_ms=250, session=session)  # type: ignore[arg-type]
    with pytest.raises(SchemaRegistryUnavailableError) as info:
        client.get_subjects()
    assert session.calls == ["http://a:1/subjects", "http://b:2/subjects"] * 4
    assert sleeps == [0.1, 0.2, 0.25]
    assert "http://a:1, http://b:2" in str(info.value) and "after 4 attempt(s)" in str(info.value)


# -- shared clients ------------------------------------------------------------------------------------------

def test_clients_are_shared_per_settings():
    conf = {"schema.registry.url": "http://shared.invalid:1"}
    first, second = acquire_client(conf), acquire_client(dict(conf))
    other = acquire_client({**conf, "basic.auth.user.info": "u:p"})
    try:
        assert first is second and first is not other
    finally:
        for client in (first, second, other):
            release_client(client)
    assert acquire_client(conf) is not first
    release_client(first)


# -- converter configuration ------------------------------------------------------------------------------------

def test_converter_is_a_builtin_plugin():
    assert JsonSchemaConverter in BUILTIN_CONVERTERS
    plugins = Plugins(load_entry_points=False)
    assert plugins.converter_class("io.confluent.connect.json.JsonSchemaConverter") is JsonSchemaConverter
    assert plugins.converter_class("JsonSchemaConverter") is JsonSchemaConverter


def test_converter_settings_are_coerced():
    converter = JsonSchemaConverter()
    converter.configure({"schema.registry.url": URL, "auto.register.schemas": "false", "use.latest.version": "TRUE",
                         "latest.compatibility.strict": "false", "use.schema.id": "12", "normalize.schemas": "true",
                         "json.fail.invalid.schema": "true", "decimal.format": "base64", "non.finite.floats": "string",
                         "object.additional.properties": "false", "use.optional.for.nonrequired": "true",
                         "key.subject.name.strategy": "RecordNameStrategy",
                         "value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"},
                        is_key=True)
    try:
        assert (converter.auto_register, converter.use_latest_version, converter.latest_compatibility_strict,
                converter.use_schema_id, converter.normalize, converter.fail_invalid, converter.decimal_format,
                converter.non_finite_floats) == (False, True, False, 12, True, True, "BASE64", "STRING")
        assert converter.json_payload_format().non_finite_floats == "STRING"
        assert converter.strategy is record_name_strategy
        assert not converter.data.additional_properties and converter.data.optional_for_nonrequired
        named = SchemaBuilder.struct().name("com.example.K").field("id", STRING_SCHEMA).build()
        assert converter.subject("t", named) == "com.example.K"
    finally:
        converter.close()


@pytest.mark.parametrize("key, value, message", [
    ("auto.register.schemas", "maybe",
     "Invalid value maybe for configuration auto.register.schemas: Expected value to be either true or false"),
    ("use.schema.id", "one", "Invalid value one for configuration use.schema.id: Not a number of type INT"),
    ("decimal.format", "hex",
     "Invalid value hex for configuration decimal.format: String must be one of (case insensitive): BASE64, NUMERIC"),
    ("non.finite.floats", "null",
     "Invalid value null for configuration non.finite.floats: String must be one of (case insensitive): FAIL, STRING"),
    ("value.subject.name.strategy", "Nope",
     "Invalid value Nope for configuration value.subject.name.strategy: Class Nope could not be found."),
])
def test_converter_config_errors(key, value, message):
    with pytest.raises(ConfigError) as info:
        JsonSchemaConverter().configure({"schema.registry.url": URL, key: value}, is_key=False)
    assert str(info.value) == message


def test_converter_without_url():
    with pytest.raises(ConfigError, match='Missing required configuration "schema.registry.url"'):
        JsonSchemaConverter().configure({}, is_key=False)


def test_converter_framing_errors_need_no_registry():
    converter = JsonSchemaConverter()
    converter.configure({"schema.registry.url": URL}, is_key=False)
    try:
        assert converter.from_connect_data("t", STRING_SCHEMA, None) is None
        assert converter.to_connect_data("t", None).value is None
        with pytest.raises(DataError, match="Unknown magic byte!"):
            converter.to_connect_data("t", b'{"a":1}')
        with pytest.raises(DataError, match="expected a magic byte and a 4-byte schema id"):
            converter.to_connect_data("t", b"\x00\x00\x01")
        with pytest.raises(DataError, match="needs a schema"):
            converter.from_connect_data("t", None, "schemaless")
    finally:
        converter.close()


def test_config_keys_list_the_settings():
    names = [k["name"] for k in JsonSchemaConverter.config_keys()]
    assert names[:2] == ["converter.type", "schema.registry.url"]
    assert {"auto.register.schemas", "use.latest.version", "use.schema.id", "value.subject.name.strategy",
            "json.fail.invalid.schema", "decimal.format", "basic.auth.user.info"} <= set(names)
    defaults = {k["name"]: k["default_value"] for k in JsonSchemaConverter.config_keys()}
    assert (defaults["decimal.format"], defaults["non.finite.floats"]) == ("NUMERIC", "FAIL")
    converter = JsonSchemaConverter()
    converter.configure({"schema.registry.url": URL}, is_key=False)
    assert (converter.decimal_format, converter.non_finite_floats) == ("NUMERIC", "FAIL")  # what the keys say
    converter.close()
