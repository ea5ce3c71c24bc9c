"""The MariaDB sink's reflection (SQLAlchemy's inspector, connectors/jdbc/catalog.py) against a real
MariaDB: each column's category and nullability, views, missing tables, another database, and a
driver error that is still the driver's (so is_transient classifies it)."""

from __future__ import annotations

import pymysql
import pytest

from dbconnect.connectors.jdbc.dialect import TableId
from dbconnect.connectors.jdbc.sink.config import parse_config
from dbconnect.connectors.jdbc.sink.writers import writer_for
from dbconnect.connectors.jdbc.sink.writers.base import (BYTES, DATE, DECIMAL, FLOAT, INT, TEXT, TIME,
                                                         TIMESTAMP)

from .jdbc_helpers import Db

pytestmark = pytest.mark.integration


@pytest.fixture
def maria(mariadb) -> Db:
    return Db("mariadb", mariadb)


def _writer(db: Db, **extra: str):
    props = {"name": "reflect", "connection.url": db.server.jdbc_url(db.name), "connection.user": db.server.user,
             "connection.password": db.server.password, "topics": "t", "connection.attempts": "1"}
    props.update(extra)
    return writer_for(parse_config(props))


def test_columns_categories_and_nullability(maria: Db):
    maria.execute("CREATE TABLE wide (i INT NOT NULL PRIMARY KEY, ti TINYINT, bi BIGINT UNSIGNED, b BIT(3), "
                  "f FLOAT, d DOUBLE, n DECIMAL(10,2), c CHAR(3), v VARCHAR(40) NOT NULL, t LONGTEXT, "
                  "e ENUM('a','b'), s SET('x','y'), j JSON, bin BINARY(4), vb VARBINARY(9), bl MEDIUMBLOB, "
                  "dt DATE, tm TIME(3), ts DATETIME(6), tz TIMESTAMP NULL, y YEAR, ip INET6)")
    writer = _writer(maria)
    info = writer.reflect(TableId(None, None, "wide"))
    assert info is not None and info.kind == "TABLE"
    assert {n: c.category for n, c in info.columns.items()} == {
        "i": INT, "ti": INT, "bi": INT, "b": INT, "f": FLOAT, "d": FLOAT, "n": DECIMAL, "c": TEXT, "v": TEXT,
        "t": TEXT, "e": TEXT, "s": TEXT, "j": TEXT, "bin": BYTES, "vb": BYTES, "bl": BYTES, "dt": DATE,
        "tm": TIME, "ts": TIMESTAMP, "tz": TIMESTAMP, "y": TEXT, "ip": TEXT}
    assert list(info.columns) == ["i", "ti", "bi", "b", "f", "d", "n", "c", "v", "t", "e", "s", "j", "bin", "vb",
                                  "bl", "dt", "tm", "ts", "tz", "y", "ip"]  # table order
    assert [n for n, c in info.columns.items() if not c.nullable] == ["i", "v"]


def test_views_missing_tables_and_another_database(maria: Db):
    other = Db("mariadb", maria.server)
    maria.execute("CREATE TABLE base (id INT PRIMARY KEY, name VARCHAR(9))")
    maria.execute("CREATE VIEW shown AS SELECT id, name FROM base")
    other.execute("CREATE TABLE elsewhere (k VARCHAR(5) NOT NULL)")
    writer = _writer(maria)
    view = writer.reflect(TableId(None, None, "shown"))
    assert view is not None and view.kind == "VIEW" and list(view.columns) == ["id", "name"]
    assert writer.reflect(TableId(None, None, "nope")) is None
    far = writer.reflect(TableId(None, other.name, "elsewhere"))  # the sink's schema part is the database
    assert far is not None and far.kind == "TABLE" and far.columns["k"].category == TEXT
    assert writer.reflect(TableId(None, other.name, "base")) is None


def test_a_failed_connection_is_the_drivers_error(maria: Db):
    writer = _writer(maria, **{"connection.password": "wrong"})
    with pytest.raises(pymysql.err.OperationalError) as caught:
        writer.reflect(TableId(None, None, "base"))
    assert caught.value.args[0] == 1045  # access denied: the driver's own exception and code


def test_a_sequence_is_reflected_as_a_sequence(maria: Db):
    # table.types (TABLE by default) refuses a SEQUENCE with a clear error: reflection must say what it is.
    maria.execute("CREATE SEQUENCE counter")
    info = _writer(maria).reflect(TableId(None, None, "counter"))
    assert info is not None and info.kind == "SEQUENCE"
