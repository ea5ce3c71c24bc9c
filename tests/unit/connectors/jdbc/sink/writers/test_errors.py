"""Sink error classification: the per-dialect tables and the writers' use of them (issue 11, item 4)."""

from __future__ import annotations

import psycopg
import psycopg.errors
import pymysql.err
import pytest

from dbconnect.connectors.jdbc.sink.config import parse_config
from dbconnect.connectors.jdbc.sink.writers.errors import (
    RECORD, TRANSIENT, classify_errno, classify_sqlstate,
)
from dbconnect.connectors.jdbc.mariadb.sink import MariaDbWriter
from dbconnect.connectors.jdbc.postgresql.sink import PostgreSqlWriter


@pytest.mark.parametrize("sqlstate, kind", [
    ("08006", TRANSIENT),  # connection failure
    ("40001", TRANSIENT),  # serialization failure
    ("40P01", TRANSIENT),  # deadlock
    ("53100", TRANSIENT),  # disk full
    ("53300", TRANSIENT),  # too many connections
    ("55P03", TRANSIENT),  # lock not available
    ("57014", TRANSIENT),  # statement timeout / cancelled
    ("57P01", TRANSIENT),  # admin shutdown (pg_terminate_backend)
    ("25006", TRANSIENT),  # read-only transaction (standby)
    ("40002", RECORD),     # deferred constraint at commit: the data's, though class 40
    ("54000", RECORD),     # program limit exceeded (index row too large)
    ("54011", RECORD),     # too many columns
    ("22001", RECORD),     # string too long
    ("22003", RECORD),     # numeric out of range
    ("23505", RECORD),     # unique violation
    ("23502", RECORD),     # not null violation
    ("42703", RECORD),     # undefined column
    ("21000", RECORD),     # cardinality violation
    ("HV000", None),       # unknown to the table: the driver's class decides
    (None, None),
])
def test_postgresql_sqlstate_table(sqlstate, kind):
    assert classify_sqlstate(sqlstate) == kind


@pytest.mark.parametrize("errno, kind", [
    (1205, TRANSIENT), (1213, TRANSIENT), (1927, TRANSIENT), (1040, TRANSIENT), (1053, TRANSIENT),
    (1969, TRANSIENT), (1290, TRANSIENT), (1180, TRANSIENT), (2006, TRANSIENT), (2013, TRANSIENT),
    (1406, RECORD), (1062, RECORD), (1048, RECORD), (1264, RECORD), (1366, RECORD), (1452, RECORD),
    (4025, RECORD), (1118, RECORD), (1071, RECORD), (1054, RECORD),
    (1105, None), (0, None),
])
def test_mariadb_errno_table(errno, kind):
    assert classify_errno(errno) == kind


def test_postgresql_writer_program_limit_is_the_records():
    # psycopg raises 54000 as an OperationalError: the old rule (every OperationalError is
    # transient) retried it until the task failed instead of sending the record to the DLQ.
    writer = PostgreSqlWriter(parse_config({"connection.url": "jdbc:postgresql://h/db"}))
    limit = psycopg.errors.lookup("54000")("index row size 9000 exceeds btree version 4 maximum 2704")
    assert isinstance(limit, psycopg.OperationalError)
    assert not writer.is_transient(limit)
    assert not writer.is_transient(psycopg.errors.lookup("22001")("value too long"))
    assert writer.is_transient(psycopg.errors.lookup("57P01")("terminating connection"))
    assert writer.is_transient(psycopg.errors.lookup("40P01")("deadlock detected"))
    assert writer.is_transient(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert writer.is_transient(psycopg.InterfaceError("the connection is closed"))
    assert not writer.is_transient(ValueError("bad value"))


def test_mariadb_writer_uses_the_errno_table():
    writer = MariaDbWriter(parse_config({"connection.url": "jdbc:mariadb://h/db"}))
    # Row size too large and key too long arrive as OperationalError: the record's.
    assert not writer.is_transient(pymysql.err.OperationalError(1118, "Row size too large"))
    assert not writer.is_transient(pymysql.err.DataError(1406, "Data too long for column 'v'"))
    assert not writer.is_transient(pymysql.err.IntegrityError(1062, "Duplicate entry"))
    assert not writer.is_transient(pymysql.err.OperationalError(4025, "CONSTRAINT `c` failed"))
    # Lost connections, killed queries, read-only after failover, statement timeout: retried.
    assert writer.is_transient(pymysql.err.OperationalError(2013, "Lost connection"))
    assert writer.is_transient(pymysql.err.OperationalError(1927, "Connection was killed"))
    assert writer.is_transient(pymysql.err.OperationalError(1290, "--read-only"))
    assert writer.is_transient(pymysql.err.OperationalError(1969, "max_statement_time exceeded"))
    assert writer.is_transient(pymysql.err.InterfaceError(0, ""))
    assert writer.is_transient(ConnectionResetError())
    assert not writer.is_transient(ValueError("bad value"))
