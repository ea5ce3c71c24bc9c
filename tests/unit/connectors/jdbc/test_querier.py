"""JDBC source pure logic: URLs, generated SQL, offsets, bounds, type rules, table selection."""

from __future__ import annotations

import datetime as dt

import pytest

from dbconnect.api.data import Type
from dbconnect.api.errors import ConfigError
from dbconnect.connectors.jdbc.config import parse_config
from dbconnect.connectors.jdbc.dialect import TableId, get_dialect
from dbconnect.connectors.jdbc.querier import base_query, build_query, offset_map, parse_offset, upper_bound
from dbconnect.connectors.jdbc.source import group_partitions, select_tables, topic_for
from dbconnect.connectors.jdbc.types import numeric_mapping
from dbconnect.connectors.jdbc.url import parse_url

UTC = dt.timezone.utc


def test_jdbc_and_sqlalchemy_urls():
    spec = parse_url("jdbc:postgresql://db.example:5433/shop?user=u&password=s3cret&sslmode=require")
    assert (spec.family, spec.host, spec.port, spec.database, spec.user, spec.password) == \
        ("postgresql", "db.example", 5433, "shop", "u", "s3cret")
    assert ("sslmode", "require") in spec.params
    assert "s3cret" not in repr(spec) and "s3cret" not in spec.describe()
    assert parse_url("jdbc:mariadb://h/db").port == 3306 and parse_url("jdbc:mysql://h:1/db").family == "mariadb"
    sa = parse_url("postgresql+psycopg://me:p%40ss@h:1/db", None, None)
    assert (sa.user, sa.password) == ("me", "p@ss")
    assert parse_url("mysql+pymysql://me@h/db", "other", "pw").user == "other"  # connection.user wins
    with pytest.raises(ConfigError):
        parse_url("jdbc:oracle:thin:@h:1521:x")
    with pytest.raises(ConfigError) as err:
        parse_url("jdbc:sqlserver://u:hidden@h/db")
    assert "hidden" not in str(err.value)


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


def _cfg(**extra):
    props = {"connection.url": "jdbc:postgresql://h/db", "mode": "incrementing", **extra}
    return parse_config(props, strict=False)


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


@pytest.mark.parametrize("mapping,precision,scale,expected", [
    ("none", 10, 2, Type.BYTES), ("precision_only", 9, 0, Type.INT32), ("precision_only", 2, 0, Type.INT8),
    ("precision_only", 10, 2, Type.BYTES), ("best_fit", 4, 0, Type.INT16), ("best_fit", 18, 0, Type.INT64),
    ("best_fit", 10, 2, Type.FLOAT64), ("best_fit", 30, 2, Type.BYTES), ("best_fit_eager_double", 30, 2, Type.FLOAT64),
    ("best_fit_eager_double", 30, 0, Type.BYTES), ("none", None, None, Type.STRING),
    ("best_fit_eager_double", None, None, Type.FLOAT64),
])
def test_numeric_mapping(mapping, precision, scale, expected):
    schema, _ = numeric_mapping(precision, scale, True, mapping)
    assert schema.type is expected and schema.optional


def test_table_selection_grouping_and_topics():
    tables = [TableId("db", "public", n) for n in ("a", "b", "c", "d", "e")]
    assert [t.name for t in select_tables(tables, _cfg(**{"table.whitelist": "a, public.b, db.public.c, \"d\""}))] == \
        ["a", "b", "c", "d"]
    assert [t.name for t in select_tables(tables, _cfg(**{"table.blacklist": "a,b"}))] == ["c", "d", "e"]
    cfg = _cfg(**{"table.include.list": r"db\.public\.[a-c]", "table.exclude.list": r".*\.b"})
    assert [t.name for t in select_tables(tables, cfg)] == ["a", "c"]
    assert group_partitions(list(range(5)), 2) == [[0, 1, 2], [3, 4]]
    assert group_partitions(list(range(3)), 3) == [[0], [1], [2]]
    assert topic_for("p-", TableId(None, None, 'x"; DROP')) == "p-x___DROP"


def test_config_cross_key_rules():
    assert "mode" in _cfg(mode="").errors
    assert "timestamp.column.name" in _cfg(mode="timestamp").errors
    errors = _cfg(**{"table.whitelist": "a", "table.blacklist": "b"}).errors
    assert "table.whitelist" in errors and "table.blacklist" in errors
    assert "table.exclude.list" in _cfg(**{"table.exclude.list": "x"}).errors
    assert "query" in _cfg(query="SELECT 1", **{"table.whitelist": "a"}).errors
    assert _cfg(**{"numeric.precision.mapping": "true"}).numeric_mapping == "precision_only"
    from dbconnect.connectors.jdbc.config import definition
    bad = definition().validate({"connection.url": "x", "dialect.name": "OracleDatabaseDialect"})
    assert "Invalid value OracleDatabaseDialect for configuration dialect.name" in bad["dialect.name"][0]
    assert get_dialect(_cfg(**{"dialect.name": "MariaDbDatabaseDialect"})).quote("x") == "`x`"


def test_polling_defaults_are_confluents():
    # A tutorial config sets neither key: it gets Confluent's BATCH_MAX_ROWS_DEFAULT (100) and
    # POLL_INTERVAL_MS_DEFAULT (5000); the read blocks are sized apart from them (readahead.py).
    cfg = parse_config({"connection.url": "jdbc:postgresql://h/db", "mode": "incrementing"})
    assert (cfg.batch_max_rows, cfg.poll_interval_ms) == (100, 5000)


def test_ports_outside_the_tcp_range_are_rejected():
    import pytest

    from dbconnect.api.errors import ConfigError

    for bad in ("0", "65536", "99999", "x1"):
        with pytest.raises(ConfigError, match="Invalid port"):
            parse_url(f"jdbc:postgresql://h:{bad}/db")
    assert parse_url("jdbc:postgresql://h:65535/db").port == 65535
