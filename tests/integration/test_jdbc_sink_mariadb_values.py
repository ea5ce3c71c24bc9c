"""The MariaDB writer's generated VALUES formatting sends what PyMySQL's executemany would send.

Every row is compared with ``cursor.mogrify`` (PyMySQL's public formatting of one parameter tuple,
the same call ``executemany`` makes per row) on a real connection, whose ``escape`` depends on the
session's sql_mode; then the sink's writes round-trip hostile strings with and without the server's
NO_BACKSLASH_ESCAPES mode.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum

import pymysql
import pytest

from dbconnect.api.data import INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct
from dbconnect.api.records import SinkRecord
from dbconnect.connectors.jdbc.mariadb.sink import (
    backslash_escapes, row_shape, rows_formatter, statements,
)

from .jdbc_helpers import Db
from .test_jdbc_sink import Sink

pytestmark = pytest.mark.integration

HOSTILE = ["plain", "it's", "back\\slash", "quote\"d", "nul\x00byte", "new\nline\r\ttab", "\x1a ctrl-z",
           "ünïcødé ✓ 😀", "%s %% %(x)s", "", "trailing\\"]


class Colour(enum.IntEnum):
    RED = 1


class Tag(str):
    pass


def rows() -> list[tuple]:
    aware = dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    out: list[tuple] = [
        # The first row sets each column's shape: None first in the last column.
        (1, True, "plain", decimal.Decimal("1234.56"), 0.1, dt.datetime(2024, 1, 1, 10, 0, 0, 123000),
         dt.date(2020, 1, 1), b"\x00\x01'\\", None),
        (-(2 ** 63), False, "x", decimal.Decimal("1E+3"), 1e300, dt.datetime(2024, 1, 1), dt.date(5, 1, 1),
         b"", "later"),
        (2 ** 64, 1, Tag("sub'class"), decimal.Decimal("-0.000001"), -0.0, dt.datetime(5, 1, 2, 3, 4, 5, 6),
         dt.datetime(2020, 1, 1, 12, 0), bytearray(b"ba"), 7),
        (Colour.RED, None, None, decimal.Decimal("0E-10"), 3, aware, None, None, dt.time(1, 2, 3, 4)),
        (None, 0, 5, 12, 2.5, dt.date(2021, 2, 3), "2020-01-01", "not bytes", dt.timedelta(hours=-25, seconds=1)),
    ]
    out += [(i, i % 2 == 0, text, decimal.Decimal(i), float(i), dt.datetime(2024, 1, 1, 0, 0, i),
             dt.date(2024, 1, 1 + i), text.encode(), text) for i, text in enumerate(HOSTILE)]
    return out


def connect(server, **extra) -> pymysql.connections.Connection:
    return pymysql.connect(host="127.0.0.1", port=server.port, user=server.user, password=server.password,
                           charset="utf8mb4", **extra)


@pytest.mark.parametrize("sql_mode", ["", "NO_BACKSLASH_ESCAPES"])
def test_each_generated_row_is_what_executemany_sends_for_it(mariadb, sql_mode: str):
    conn = connect(mariadb, init_command=f"SET SESSION sql_mode = '{sql_mode}'")
    try:
        data = rows()
        assert backslash_escapes(conn) is (sql_mode == "")
        formatted = rows_formatter(row_shape(data), backslash_escapes(conn))(data, conn.escape)
        with conn.cursor() as cur:
            marks = "(" + ",".join(["%s"] * len(data[0])) + ")"
            assert formatted == [cur.mogrify(marks, row) for row in data]
    finally:
        conn.close()


def test_statements_split_where_executemany_splits():
    values = [f"({i},'{'x' * (i % 7)}')" for i in range(500)]
    prefix, postfix = "INSERT INTO t (a, b) VALUES ", " ON DUPLICATE KEY UPDATE b=VALUES(b)"
    out = statements(prefix, values, postfix, "utf8", limit=300)
    assert len(out) > 10
    assert all(len(s) <= 300 for s in out)
    assert all(s.startswith(prefix.encode()) and s.endswith(postfix.encode()) for s in out)
    joined = b",".join(s[len(prefix):-len(postfix)] for s in out)
    assert joined == ",".join(values).encode()
    # One row longer than the limit is still sent, alone.
    assert statements(prefix, ["(" + "9" * 400 + ")"], "", "utf8", limit=300) == [
        (prefix + "(" + "9" * 400 + ")").encode()]


TEXT = SchemaBuilder.struct().name("Note").field("id", INT64_SCHEMA).field("body", STRING_SCHEMA).build()


@pytest.mark.parametrize("sql_mode", ["STRICT_TRANS_TABLES", "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES"])
def test_hostile_strings_round_trip_whatever_the_servers_sql_mode(mariadb, sql_mode: str):
    db = Db("mariadb", mariadb)
    admin = connect(mariadb)
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT @@GLOBAL.sql_mode")
            (before,) = cur.fetchone()
            cur.execute("SET GLOBAL sql_mode = %s", (sql_mode,))  # the sink's new session inherits it
        records = [SinkRecord(topic="notes", kafka_partition=0, kafka_offset=i, key=None, key_schema=None,
                              value=Struct(TEXT).put("id", i).put("body", text), value_schema=TEXT)
                   for i, text in enumerate(s for s in HOSTILE if "\x00" not in s)]
        sink = Sink(db, **{"topics": "notes", "pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert"})
        try:
            sink.put(*records)
            sink.commit()
            assert dict(db.execute("SELECT id, body FROM notes")) == {r.value.get("id"): r.value.get("body")
                                                                       for r in records}
            # The second write of the same keys is the upsert's ON DUPLICATE KEY UPDATE branch.
            sink.put(*(SinkRecord(topic="notes", kafka_partition=0, kafka_offset=100 + r.kafka_offset, key=None,
                                  key_schema=None, value=Struct(TEXT).put("id", r.value.get("id"))
                                  .put("body", r.value.get("body") + "\\'"), value_schema=TEXT) for r in records))
            sink.commit()
            assert dict(db.execute("SELECT id, body FROM notes")) == {r.value.get("id"): r.value.get("body") + "\\'"
                                                                       for r in records}
        finally:
            sink.stop()
    finally:
        with admin.cursor() as cur:
            cur.execute("SET GLOBAL sql_mode = %s", (before,))
        admin.close()
