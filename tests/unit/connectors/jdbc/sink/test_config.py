"""JDBC sink config without a database: cross-key rules, defaults, the newer keys."""

from __future__ import annotations

import zoneinfo

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.connectors.jdbc.sink import JdbcSinkConnector
from dbconnect.connectors.jdbc.sink.config import parse_config
from tests.unit.connectors.jdbc.sink.sink_samples import URL, cfg


def test_delete_enabled_needs_record_key_with_confluents_messages():
    errors = cfg(**{"delete.enabled": "true", "pk.mode": "record_value"}).errors
    assert errors == {"pk.mode": ["Deletes are only supported for pk.mode record_key"],
                      "delete.enabled": ["Deletes are only supported for pk.mode record_key"]}
    task_errors = parse_config({"connection.url": URL, "delete.enabled": "true"}, task=True)
    with pytest.raises(ConfigError, match="Primary key mode must be 'record_key' when delete support is enabled"):
        task_errors.check()
    assert JdbcSinkConnector().validate({"connection.url": URL, "delete.enabled": "true", "pk.mode": "kafka"})[
        "delete.enabled"] == ["Deletes are only supported for pk.mode record_key"]


def test_cross_key_rules_and_defaults():
    c = cfg()
    assert (c.insert_mode, c.pk_mode, c.batch_size, c.max_retries, c.retry_backoff_ms) == ("insert", "none", 3000, 10, 3000)
    assert c.table_name_format == "${topic}" and c.quote and c.table_types == {"TABLE"} and not c.exactly_once
    assert "insert.mode" in cfg(**{"insert.mode": "upsert"}).errors
    assert "pk.fields" in cfg(**{"pk.mode": "kafka", "pk.fields": "a,b"}).errors
    assert "db.timezone" in cfg(**{"db.timezone": "Mars/Olympus"}).errors
    assert cfg(**{"pk.mode": "RECORD_KEY", "insert.mode": "UPSERT"}).errors == {}
    assert cfg(**{"connection.url": "jdbc:oracle:thin:@x:1521/y"}).errors["connection.url"]


def test_password_never_in_config_errors():
    c = parse_config({"connection.url": "jdbc:postgresql://h/db?password=hunter2222", "name": "x"})
    assert "hunter2222" not in repr(c.spec) and "hunter2222" not in c.spec.describe()
    assert c.spec.scrub("auth failed for hunter2222") == "auth failed for [hidden]"


def test_new_keys_defaults_and_parsing():
    c = cfg()
    assert (c.timestamp_fields, c.timestamp_nanos, c.date_timezone, c.string_value_column) == (
        frozenset(), False, None, "record_value")
    assert c.string_value_conflicts == ()
    ny = zoneinfo.ZoneInfo("America/New_York")
    assert cfg(**{"db.timezone": "America/New_York"}).date_timezone == ny  # DB_TIMEZONE follows db.timezone
    assert cfg(**{"db.timezone": "America/New_York", "date.timezone": "utc"}).date_timezone is None
    c = cfg(**{"timestamp.fields.list": "a, b", "timestamp.precision.mode": "NANOSECONDS",
               "string.output.value.column.name": "body", "fields.whitelist": "x"})
    assert (c.timestamp_fields, c.timestamp_nanos, c.string_value_column) == (frozenset({"a", "b"}), True, "body")
    assert c.string_value_conflicts == ("fields.whitelist", "timestamp.fields.list", "timestamp.precision.mode")
    for key, bad in (("date.timezone", "Europe/Paris"), ("timestamp.precision.mode", "millis")):
        with pytest.raises(ConfigError):
            cfg(**{key: bad})
        assert key in JdbcSinkConnector().validate({"connection.url": URL, key: bad})
