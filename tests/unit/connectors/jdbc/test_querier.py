"""JDBC source querier pure logic: generated SQL, quoting, offsets, the upper bound."""

from __future__ import annotations

import datetime as dt

from dbconnect.connectors.jdbc.dialect import TableId, get_dialect
from dbconnect.connectors.jdbc.querier import base_query, build_query, offset_map, parse_offset, upper_bound
from tests.unit.connectors.jdbc.source_samples import _cfg

UTC = dt.timezone.utc


def test_generated_sql_per_mode():
    assert build_query("SELECT * FROM t", "bulk", None, None) == ("SELECT * FROM t", [])
    assert build_query("SELECT * FROM t", "incrementing", None, '"id"') == \
        ('SELECT * FROM t WHERE "id" > %s ORDER BY "id" ASC', ["inc"])
    assert build_query("SELECT * FROM t", "timestamp", '"ts"', None) == \
        ('SELECT * FROM t WHERE "ts" > %s AND "ts" < %s ORDER BY "ts" ASC', ["begin", "end"])
    sql, roles = build_query("SELECT * FROM t", "timestamp+incrementing", 'COALESCE("a", "b")', '"id"', "FOR SHARE")
    assert sql == ('SELECT * FROM t WHERE COALESCE("a", "b") < %s AND ((COALESCE("a", "b") = %s AND "id" > %s) '
                   'OR COALESCE("a", "b") > %s) ORDER BY COALESCE("a", "b"),"id" ASC FOR SHARE')
    assert roles == ["end", "begin", "inc", "begin"]
    # Literal % in a user query survives parameter formatting.
    assert build_query("SELECT * FROM (SELECT 1 WHERE 'a' LIKE 'a%') o", "incrementing", None, "id")[0] \
        .startswith("SELECT * FROM (SELECT 1 WHERE 'a' LIKE 'a%%') o WHERE id > %s")


def test_quoting_and_query_wrapping():
    pg = get_dialect(_cfg())
    assert pg.quote_table(TableId("db", "public", 'we"ird;--')) == '"public"."we""ird;--"'
    maria = get_dialect(_cfg(**{"connection.url": "jdbc:mariadb://h/db"}))
    assert maria.quote_table(TableId("db", None, "a`b")) == "`db`.`a``b`"
    assert get_dialect(_cfg(**{"quote.sql.identifiers": "never"})).quote("Abc") == "Abc"
    assert base_query(pg, None, "SELECT * FROM x WHERE y = 1 ORDER BY z;", "incrementing") == \
        "SELECT * FROM (SELECT * FROM x WHERE y = 1 ORDER BY z) o"
    assert base_query(pg, None, "SELECT 1", "bulk") == "SELECT 1"


def test_offsets_round_trip_confluent_format():
    ts = dt.datetime(2023, 1, 4, 12, 26, 57, 123456, tzinfo=UTC)
    offset = offset_map("timestamp+incrementing", ts, 5001)
    assert offset == {"incrementing": 5001, "timestamp": 1672835217123, "timestamp_nanos": 123456000}
    assert parse_offset(offset) == (ts, 5001)
    assert offset_map("incrementing", ts, 7) == {"incrementing": 7}
    assert offset_map("timestamp", ts, 7) == {"timestamp": 1672835217123, "timestamp_nanos": 123456000}
    # Confluent's own offsets (issue #1296) and millis-only offsets.
    assert parse_offset({"timestamp_nanos": 0, "incrementing": 5001, "timestamp": 1672835217000}) == \
        (dt.datetime(2023, 1, 4, 12, 26, 57, tzinfo=UTC), 5001)
    assert parse_offset({"timestamp": 1500})[0] == dt.datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)
    assert parse_offset(None) == (None, None)


def test_upper_bound_held_back_by_open_transactions():
    now = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    second = dt.timedelta(seconds=1)
    assert upper_bound(now, None, 0) == now - second  # the safety margin
    assert upper_bound(now, None, 5000) == now - 5 * second  # the delay, as Confluent
    assert upper_bound(now, now - 30 * second, 5000) == now - 31 * second  # an open writer holds it back
    assert upper_bound(now, now - 2 * second, 5000) == now - 5 * second
