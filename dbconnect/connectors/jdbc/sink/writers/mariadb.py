"""MariaDB / MySQL writer (PyMySQL): multi-row INSERT … ON DUPLICATE KEY UPDATE.

Inserts and upserts are multi-row statements of up to ~1 MB each, so a batch of 10,000 rows costs a
handful of round trips: the SQL text PyMySQL's ``executemany`` would send for
``INSERT … VALUES (%s, …) [ON DUPLICATE KEY UPDATE …]``, formatted by code generated per row shape
(``mariadb_values``) instead of three generic calls per value. Deletes are ``DELETE … WHERE key
IN (…)`` in chunks. DDL commits implicitly in MariaDB, which is why tables are created and altered before the data transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pymysql
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects.mysql.base import MySQLTypeCompiler
from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql

from .....api.data import Time, Timestamp, Type
from ...catalog import Catalog, type_name
from ...ddl_types import DdlTypes
from ...dialect import TableId
from ...dialects.mariadb import ensure_encrypted, pymysql_tls
from ...tls import tls_policy
from ..records import RecordError, SinkField
from .errors import TRANSIENT, classify_errno
from .mariadb_values import RowsFormatter, backslash_escapes, row_shape, rows_formatter, statements
from .base import (
    APPLICATION_NAME, BYTES, DATE, DECIMAL, FLOAT, INT, OFFSETS_TABLE, TEXT, TIME, TIMESTAMP, Column, TableInfo,
    TablePlan, Writer,
)

log = logging.getLogger(__name__)

_CATEGORIES = {
    # By SQLAlchemy's reflected type (catalog.type_name): MariaDB's data types.
    "tinyint": INT, "smallint": INT, "mediumint": INT, "int": INT, "integer": INT, "bigint": INT, "bit": INT,
    "float": FLOAT, "double": FLOAT, "real": FLOAT, "decimal": DECIMAL, "numeric": DECIMAL,
    "char": TEXT, "varchar": TEXT, "tinytext": TEXT, "text": TEXT, "mediumtext": TEXT, "longtext": TEXT,
    "enum": TEXT, "set": TEXT, "json": TEXT,
    "binary": BYTES, "varbinary": BYTES, "tinyblob": BYTES, "blob": BYTES, "mediumblob": BYTES, "longblob": BYTES,
    "date": DATE, "time": TIME, "datetime": TIMESTAMP, "timestamp": TIMESTAMP,
}
_DELETE_CHUNK = 1000


def _type_sql(type_: Any) -> str:
    """The reflected column type as SQL (lower case, as information_schema's COLUMN_TYPE); its
    name alone for a type SQLAlchemy does not know (INET6, UUID …)."""
    try:
        return DDL_TYPES.compile(type_).lower()
    except Exception:  # noqa: BLE001 — NullType and other types without DDL: the name says enough
        return type_name(type_)


class _MariaDbTypeCompiler(MySQLTypeCompiler):
    """SQLAlchemy's MySQL type spelling, with INT and DECIMAL(p,s) as MariaDB's own docs (and the
    DDL dbconnect has always logged) spell them: the same types, the text the docs list."""

    def visit_INTEGER(self, type_: Any, **kw: Any) -> str:
        return "INT" if getattr(type_, "display_width", None) is None and not getattr(type_, "unsigned", False) \
            else super().visit_INTEGER(type_, **kw)

    def visit_DECIMAL(self, type_: Any, **kw: Any) -> str:
        return super().visit_DECIMAL(type_, **kw).replace(", ", ",")


def _decimal(precision: int | None, scale: int) -> Any:
    # MariaDB's bounds: precision 1–65 (65 when the schema has none), scale ≤ 30.
    return mysql.DECIMAL(min(max(65 if precision is None else precision, scale, 1), 65), min(scale, 30))


# auto.create / auto.evolve column types (ddl_types): MariaDB's departures from the generic mapping.
DDL_TYPES = DdlTypes(
    compiler=_MariaDbTypeCompiler(MySQLDialect_pymysql()), structured=sa.JSON(),
    primitives={Type.INT8: mysql.TINYINT(), Type.FLOAT32: mysql.FLOAT(), Type.BOOLEAN: mysql.TINYINT(),
                Type.BYTES: mysql.LONGBLOB()},
    logical={Time.LOGICAL_NAME: mysql.TIME(fsp=3), Timestamp.LOGICAL_NAME: mysql.DATETIME(fsp=3)},
    # A TEXT / BLOB primary key fails at CREATE time (Confluent #996).
    key_types={Type.STRING: sa.String(255), Type.BYTES: mysql.VARBINARY(1024)},
    decimal=_decimal,
    precise_timestamp=mysql.DATETIME(fsp=6),  # timestamp.fields.list: microseconds since the epoch
)


class MariaDbWriter(Writer):
    max_identifier = 64
    quote_char = "`"
    sort_keys = True  # rows inserted in key order: concurrent tasks do not deadlock (Confluent #385)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._formatters: dict[tuple[tuple[type, ...], bool], RowsFormatter] = {}
        # auto.evolve's reflection (catalog.py), on connections of its own with the writer's settings.
        self.catalog = Catalog("mysql+pymysql://", self._connect)

    # -- connections ----------------------------------------------------------------------------
    def _connect(self) -> Any:
        spec = self.spec
        policy = tls_policy(spec)
        conn = pymysql.connect(host=spec.host, port=spec.port, user=spec.user, password=spec.password or "",
                               database=spec.database, autocommit=False, charset="utf8mb4", connect_timeout=10,
                               program_name=APPLICATION_NAME, **pymysql_tls(policy))
        ensure_encrypted(conn, policy)
        with conn.cursor() as cur:
            # Strict mode: a value that does not fit fails (and goes to the DLQ) instead of being
            # silently truncated, whatever the server's default sql_mode is.
            cur.execute("SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'STRICT_TRANS_TABLES')")
            offset = self._utc_offset()
            if offset is not None:
                # TIMESTAMP columns convert from the session zone; db.timezone is what we write in.
                cur.execute("SET SESSION time_zone = %s", (offset,))
        conn.commit()
        return conn

    def _utc_offset(self) -> str | None:
        key = getattr(self.cfg.timezone, "key", "UTC")
        return "+00:00" if key in ("UTC", "Etc/UTC") else None

    def is_transient(self, exc: BaseException) -> bool:
        # By error number (errors.MARIADB_ERRNO): PyMySQL raises OperationalError for most server
        # errors, data and limits included. An unknown number falls back on the driver's class.
        if isinstance(exc, pymysql.err.Error):
            errno = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
            kind = classify_errno(errno)
            if kind is not None:
                return kind == TRANSIENT
            return isinstance(exc, (pymysql.err.OperationalError, pymysql.err.InterfaceError,
                                    pymysql.err.InternalError))
        return isinstance(exc, (ConnectionError, OSError))

    def describe_error(self, exc: BaseException) -> str:
        if isinstance(exc, pymysql.err.Error) and len(exc.args) >= 2:
            return self.spec.scrub(f"{type(exc).__name__}: ({exc.args[0]}) {exc.args[1]}")
        return super().describe_error(exc)

    # -- catalog and DDL ------------------------------------------------------------------------
    def _database(self, table: TableId) -> str:
        return table.schema or self.spec.database

    def reflect(self, table: TableId) -> TableInfo | None:
        database = self._database(table)
        with self.catalog.inspect() as insp:
            if not insp.has_table(table.name, database):
                return None
            kind = "VIEW" if table.name in insp.get_view_names(database) else "TABLE"
            reflected = insp.get_columns(table.name, database)
        columns = {c["name"]: Column(c["name"], _CATEGORIES.get(type_name(c["type"]), TEXT), _type_sql(c["type"]),
                                     bool(c["nullable"]))
                   for c in reflected}
        return TableInfo(table, columns, kind)

    def column_type(self, field: SinkField) -> str:
        return DDL_TYPES.column_type(field.schema, is_key=field.is_key, precise=field.precise)

    def default_literal(self, value: Any) -> str:
        return self.conn.escape(value).replace("%", "%%")

    def execute_ddl(self, statements: Iterable[str]) -> None:
        with self.conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement, ())
        self.conn.commit()

    # -- writing --------------------------------------------------------------------------------
    def _insert_rows(self, plan: TablePlan, kind: str, suffix: str, rows: list[Any]) -> None:
        """``INSERT INTO t (…) VALUES (…),(…)…{suffix}``: what PyMySQL's ``executemany`` sends for
        ``… VALUES (%s, …){suffix}``, with the VALUES formatted by code generated per row shape.
        ``suffix`` is run as it is (no parameters: a % in it is single)."""
        if not rows:
            return
        head = plan.sql.get(kind)
        if head is None:
            targets = ", ".join(self.quote(c.name) for c in plan.columns)
            # Run without parameters: the identifiers' doubled % (quote()) are single again, as
            # executemany's `prefix % ()` makes them.
            head = plan.sql[kind] = f"INSERT INTO {self.quote_table(plan.table)} ({targets}) VALUES " % ()
        conn = self.conn
        shape = (row_shape(rows), backslash_escapes(conn))
        formatter = self._formatters.get(shape)
        if formatter is None:
            formatter = self._formatters[shape] = rows_formatter(*shape)
        with conn.cursor() as cur:
            for statement in statements(head, formatter(rows, conn.escape), suffix, conn.encoding,
                                        cur.max_stmt_length):
                cur.execute(statement)

    def insert(self, plan: TablePlan, rows: list[Any]) -> None:
        self._insert_rows(plan, "insert", "", rows)

    def upsert(self, plan: TablePlan, rows: list[Any]) -> None:
        if not plan.key_columns:
            raise RecordError(f"Write to table '{plan.table.name}' in UPSERT mode requires key field names to be "
                              "known, check the primary key configuration")
        suffix = plan.sql.get("upsert.suffix")
        if suffix is None:
            rest = plan.columns[len(plan.key_columns):] or plan.key_columns
            updates = ", ".join(f"{self.quote(c.name)}=VALUES({self.quote(c.name)})" for c in rest)
            suffix = plan.sql["upsert.suffix"] = f" ON DUPLICATE KEY UPDATE {updates}" % ()
        self._insert_rows(plan, "insert", suffix, rows)

    def update(self, plan: TablePlan, rows: list[Any]) -> None:
        nk = len(plan.key_columns)
        if not nk:
            raise RecordError(f"Write to table '{plan.table.name}' in UPDATE mode requires key field names to be "
                              "known, check the primary key configuration")
        if len(plan.columns) == nk:
            return
        sql = plan.sql.get("update")
        if sql is None:
            sets = ", ".join(f"{self.quote(c.name)} = %s" for c in plan.columns[nk:])
            match = " AND ".join(f"{self.quote(c.name)} = %s" for c in plan.key_columns)
            sql = plan.sql["update"] = f"UPDATE {self.quote_table(plan.table)} SET {sets} WHERE {match}"
        with self.conn.cursor() as cur:
            cur.executemany(sql, [list(row[nk:]) + list(row[:nk]) for row in rows])

    def delete(self, plan: TablePlan, keys: list[list[Any]]) -> None:
        if not keys:
            return
        cols = plan.key_columns
        table = self.quote_table(plan.table)
        one = "%s" if len(cols) == 1 else "(" + ", ".join(["%s"] * len(cols)) + ")"
        target = self.quote(cols[0].name) if len(cols) == 1 else "(" + ", ".join(self.quote(c.name) for c in cols) + ")"
        with self.conn.cursor() as cur:
            for start in range(0, len(keys), _DELETE_CHUNK):
                chunk = keys[start:start + _DELETE_CHUNK]
                cur.execute(f"DELETE FROM {table} WHERE {target} IN ({', '.join([one] * len(chunk))})",
                            [v for key in chunk for v in key])

    # -- exactly once ---------------------------------------------------------------------------
    def ensure_offsets_table(self) -> None:
        self.run(lambda: self.execute_ddl([
            f"CREATE TABLE IF NOT EXISTS {OFFSETS_TABLE} (connector VARCHAR(255) NOT NULL, "
            "topic VARCHAR(255) NOT NULL, kafka_partition INT NOT NULL, next_offset BIGINT NOT NULL, "
            "updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), "
            "PRIMARY KEY (connector, topic, kafka_partition))"]))

    def insert_offset(self, topic: str, partition: int, offset: int) -> bool:
        # An existing row is left as it is: 0 affected rows (PyMySQL does not set CLIENT_FOUND_ROWS).
        with self.conn.cursor() as cur:
            return cur.execute(
                f"INSERT INTO {OFFSETS_TABLE} (connector, topic, kafka_partition, next_offset) VALUES (%s, %s, %s, %s) "
                "ON DUPLICATE KEY UPDATE next_offset = next_offset",
                (self.cfg.connector_name, topic, partition, offset)) == 1

    def replace_offset(self, topic: str, partition: int, expected: int, offset: int) -> bool:
        # InnoDB's UPDATE reads the latest committed row (a locking read), whatever the isolation.
        with self.conn.cursor() as cur:
            return cur.execute(
                f"UPDATE {OFFSETS_TABLE} SET next_offset = %s WHERE connector = %s AND topic = %s "
                "AND kafka_partition = %s AND next_offset = %s",
                (offset, self.cfg.connector_name, topic, partition, expected)) == 1

    def read_offsets(self, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        topics = list(topics)

        def load() -> dict[tuple[str, int], int]:
            if not topics:
                return {}
            with self.conn.cursor() as cur:
                cur.execute(f"SELECT topic, kafka_partition, next_offset FROM {OFFSETS_TABLE} WHERE connector = %s "
                            f"AND topic IN ({', '.join(['%s'] * len(topics))})", [self.cfg.connector_name, *topics])
                rows = cur.fetchall()
            self.conn.commit()
            return {(t, p): o for t, p, o in rows}
        return self.run(load)
