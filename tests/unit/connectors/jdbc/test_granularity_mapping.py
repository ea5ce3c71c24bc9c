"""timestamp.granularity and timestamp.columns.mapping / incrementing.column.mapping without a database."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from dbconnect.api.data import Type
from dbconnect.connectors.jdbc.config import parse_config
from dbconnect.connectors.jdbc.dialect import ColumnMapping, TableId
from dbconnect.connectors.jdbc import types as T

URL = "jdbc:postgresql://h/db"
UTC = dt.timezone.utc


def cfg(**props: str):
    return parse_config({"connection.url": URL, **props}, strict=False)


# ------------------------------------------------------------------------------ timestamp.granularity

def test_every_confluent_granularity_is_accepted_case_insensitively():
    for g in T.GRANULARITIES:
        c = cfg(mode="bulk", **{"timestamp.granularity": g.upper()})
        assert not c.errors and c.timestamp_granularity == g
    assert cfg(mode="bulk").timestamp_granularity == "connect_logical"


@pytest.mark.parametrize("granularity,schema_type", [
    ("micros_long", Type.INT64), ("nanos_long", Type.INT64), ("micros_string", Type.STRING),
    ("nanos_string", Type.STRING), ("micros_iso_datetime_string", Type.STRING),
    ("nanos_iso_datetime_string", Type.STRING)])
def test_schemas_keep_optionality(granularity, schema_type):
    for optional in (True, False):
        s = T.granularity_schema(granularity, optional)
        assert (s.type, s.optional, s.name) == (schema_type, optional, None)
    assert T.granularity_schema("connect_logical", True) == T.timestamp_schema(True)


def test_values_exact_micros_and_nanos():
    aware = dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    micros = 1704164645678901
    utc = zoneinfo.ZoneInfo("UTC")
    conv = {g: T.granularity_converter(g, utc) for g in T.GRANULARITIES}
    assert conv["connect_logical"] is None
    assert conv["micros_long"](aware) == micros
    assert conv["nanos_long"](aware) == micros * 1000
    assert conv["micros_string"](aware) == str(micros)
    assert conv["nanos_string"](aware) == str(micros * 1000)
    assert conv["micros_iso_datetime_string"](aware) == "2024-01-02T03:04:05.678901"
    assert conv["nanos_iso_datetime_string"](aware) == "2024-01-02T03:04:05.678901000"
    # Naive values are UTC (what the dialects hand over for UTC wall-clock columns).
    assert conv["micros_long"](aware.replace(tzinfo=None)) == micros
    # Before the epoch: exact (floor), and 4-digit years with zero fractions.
    before = dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)
    assert conv["micros_long"](before) == -500000 and conv["nanos_string"](before) == "-500000000"
    assert conv["micros_iso_datetime_string"](dt.datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000"
    assert all(c(None) is None for c in conv.values() if c is not None)


def test_iso_strings_are_at_db_timezone_like_confluent():
    # Confluent: DateTimeUtils.toIsoDateMicrosTimeString(timestamp, db.timezone).
    ny = zoneinfo.ZoneInfo("America/New_York")
    value = dt.datetime(2024, 6, 1, 16, 0, 0, 1, tzinfo=UTC)
    assert T.granularity_converter("micros_iso_datetime_string", ny)(value) == "2024-06-01T12:00:00.000001"
    assert T.granularity_converter("micros_long", ny)(value) == T.granularity_converter("micros_long", UTC)(value)


def test_apply_granularity_only_touches_timestamp_columns():
    zone_less = T.zone_less_converter(zoneinfo.ZoneInfo("Europe/Berlin"))
    cols = [ColumnMapping("d", T.date_schema(True)), ColumnMapping("t", T.time_schema(False)),
            ColumnMapping("ts", T.timestamp_schema(False), zone_less, is_timestamp=True, zone_less=True),
            ColumnMapping("n", T.primitive(Type.INT32, True))]
    assert T.apply_granularity(cols, "connect_logical", UTC) == {}
    granular = T.apply_granularity(cols, "micros_long", UTC)
    assert set(granular) == {2}
    assert cols[2].schema.type is Type.INT64 and not cols[2].schema.optional
    assert cols[2].convert is zone_less  # the offset still reads the datetime
    assert cols[0].schema == T.date_schema(True) and cols[1].schema == T.time_schema(False)
    # 12:00 wall clock in Berlin (CEST) is 10:00 UTC.
    assert granular[2](dt.datetime(2024, 6, 1, 12)) == int(dt.datetime(2024, 6, 1, 10, tzinfo=UTC).timestamp()) * 10**6


# ------------------------------------------------------------------------------ column mappings

INCLUDE = {"table.include.list": r"db\.public\..*"}


def test_mapping_first_match_full_match_and_fallbacks():
    c = cfg(mode="timestamp+incrementing", **INCLUDE, **{
        "timestamp.columns.mapping": r"db\.public\.orders:[updated_at|created_at], .*:[changed]",
        "incrementing.column.mapping": r"db\.public\.orders:order_id,db\.public\.ord:short"})
    assert not c.errors, c.errors
    orders, other = TableId("db", "public", "orders"), TableId("db", "public", "customers")
    assert c.timestamp_columns_for(orders) == ["updated_at", "created_at"]
    assert c.timestamp_columns_for(other) == ["changed"]
    assert c.incrementing_column_for(orders) == "order_id"
    # "db.public.ord" does not fully match "db.public.orders"; no entry → "" (auto-detect, as Confluent).
    assert c.incrementing_column_for(other) == ""
    only_orders = cfg(mode="timestamp", **INCLUDE, **{"timestamp.columns.mapping": r".*orders:[u]"})
    assert only_orders.timestamp_columns_for(other) is None  # no match: an error in timestamp modes
    # Without mappings the single-name keys apply to every table, as before.
    legacy = cfg(mode="timestamp+incrementing", **INCLUDE, **{"timestamp.column.name": "ts",
                                                              "incrementing.column.name": "id"})
    assert legacy.timestamp_columns_for(orders) == ["ts"] and legacy.incrementing_column_for(orders) == "id"
    # One key per kind: a timestamp mapping with incrementing.column.name is fine (Confluent's "mixed").
    mixed = cfg(mode="timestamp+incrementing", **INCLUDE, **{"timestamp.columns.mapping": ".*:[u]",
                                                             "incrementing.column.name": "id"})
    assert not mixed.errors and mixed.incrementing_column_for(orders) == "id"
    assert mixed.timestamp_columns_for(orders) == ["u"]


def test_mapping_satisfies_the_timestamp_mode_requirement():
    assert "timestamp.column.name" in cfg(mode="timestamp", **INCLUDE).errors
    assert not cfg(mode="timestamp", **INCLUDE, **{"timestamp.columns.mapping": ".*:[u]"}).errors


def test_confluent_messages_on_both_keys():
    c = cfg(mode="timestamp+incrementing", **INCLUDE, **{
        "timestamp.column.name": "ts", "timestamp.columns.mapping": ".*:[a|b]",
        "incrementing.column.name": "id", "incrementing.column.mapping": ".*:id"})
    ts_msg = ("Cannot use both timestamp.column.name and timestamp.columns.mapping. "
              "Use timestamp.columns.mapping for new implementations.")
    inc_msg = ("Cannot use both incrementing.column.name and incrementing.column.mapping. "
               "Use incrementing.column.mapping for new implementations.")
    assert c.errors["timestamp.column.name"] == [ts_msg] and c.errors["timestamp.columns.mapping"] == [ts_msg]
    assert c.errors["incrementing.column.name"] == [inc_msg]
    assert c.errors["incrementing.column.mapping"] == [inc_msg]


def test_mapping_needs_the_include_list():
    w = cfg(mode="incrementing", **{"table.whitelist": "orders", "incrementing.column.mapping": ".*:id"})
    assert any("Cannot use legacy table filtering" in m for m in w.errors["table.whitelist"])
    assert any("with new column mapping" in m for m in w.errors["incrementing.column.mapping"])
    b = cfg(mode="timestamp", **{"table.blacklist": "x", "timestamp.columns.mapping": ".*:[u]"})
    assert "table.blacklist" in b.errors and "timestamp.columns.mapping" in b.errors
    none = cfg(mode="timestamp", **{"timestamp.columns.mapping": ".*:[u]"})
    assert any("table.include.list" in m for m in none.errors["timestamp.columns.mapping"])
    query = cfg(mode="incrementing", query="SELECT 1 AS id", **{"incrementing.column.mapping": ".*:id"})
    assert "incrementing.column.mapping" in query.errors


@pytest.mark.parametrize("key,entry", [
    ("timestamp.columns.mapping", "orders:updated_at"),  # no brackets
    ("timestamp.columns.mapping", "orders:[]"),
    ("timestamp.columns.mapping", "orders:[a||b]"),
    ("timestamp.columns.mapping", "orders"),
    ("timestamp.columns.mapping", "(orders:[a]"),  # bad regex
    ("incrementing.column.mapping", "orders:"),
    ("incrementing.column.mapping", ":id"),
    ("incrementing.column.mapping", "[x:id"),
])
def test_malformed_entries_are_reported_on_their_key(key, entry):
    mode = "timestamp+incrementing"
    other = {"incrementing.column.name": "id"} if key.startswith("timestamp") else {"timestamp.column.name": "t"}
    c = cfg(mode=mode, **INCLUDE, **other, **{key: entry})
    assert key in c.errors and any(entry.split(":")[0] in m or "regex" in m for m in c.errors[key]), c.errors


def test_connector_validate_reports_mapping_errors_without_a_database():
    from dbconnect.connectors.jdbc.source import JdbcSourceConnector

    problems = JdbcSourceConnector().validate({"connection.url": URL, "mode": "timestamp", **INCLUDE,
                                               "timestamp.column.name": "a", "timestamp.columns.mapping": ".*:[a]",
                                               "timestamp.granularity": "micros_long"})
    assert set(problems) == {"timestamp.column.name", "timestamp.columns.mapping"}
